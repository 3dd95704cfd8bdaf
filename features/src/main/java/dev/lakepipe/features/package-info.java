/**
 * The features stage: {@code silver.records} to {@code gold.dataset}. Splits rows into train, validation and
 * test (stratified, time-ordered or group-aware, with optional k folds) so that no record, near-duplicate
 * cluster or group crosses a split, checks that, fits the feature pipeline on train only and writes the
 * dataset, a Parquet export per split and {@code ops.split_manifest}.
 */
package dev.lakepipe.features;
