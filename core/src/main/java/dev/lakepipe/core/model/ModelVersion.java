package dev.lakepipe.core.model;

import java.util.List;
import java.util.Map;

/**
 * The record of one trained model ({@code model.json} in the {@link ModelStore}): what it expects as input,
 * where its inputs came from, and how training went. Evaluate and score need nothing else to use the model.
 *
 * @param modelVersion the version (the training run id)
 * @param runId the training run
 * @param createdAt ISO-8601 instant the version was published
 * @param inputs the network's inputs in order: {@code features} and / or {@code text_ids}
 * @param labels class names; output unit i is {@code labels.get(i)} ({@code label_index} i in gold)
 * @param featuresRun the features run whose pipeline made the inputs
 * @param featuresPath the fitted feature pipeline ({@code FittedFeatures.load} reads it)
 * @param featureSize length of the {@code features} vector
 * @param sequenceLength length of {@code text_ids} (0 without)
 * @param goldVersion the Delta version of {@code gold.dataset} trained on
 * @param confFingerprint SHA-256 of the train settings
 * @param conf the train settings, rendered
 * @param network a one-line summary of the network
 * @param parameters number of trainable parameters
 * @param master {@code averaging} or {@code sharing}
 * @param workers number of workers
 * @param bestEpoch the epoch whose parameters the model holds (1-based)
 * @param epochs epochs run
 * @param stopReason why training stopped
 * @param validationMetric the early-stopping metric and its best value
 * @param preflight the pre-flight verdict on distributed training
 * @param extra anything else, as strings
 */
public record ModelVersion(String modelVersion, String runId, String createdAt, List<String> inputs,
    List<String> labels, String featuresRun, String featuresPath, int featureSize, int sequenceLength,
    long goldVersion, String confFingerprint, String conf, String network, long parameters, String master,
    int workers, int bestEpoch, int epochs, String stopReason, Map<String, Double> validationMetric,
    String preflight, Map<String, String> extra) {
}
