"""Lakepipe on a Spark cluster (YARN or standalone): one spark-submit per stage.

ingest >> clean >> features >> train >> evaluate, each task one Spark application running the job jar's
``dev.lakepipe.app.LakepipeCli <stage> --conf ... --env ... --run-id ...``, so a failed stage is retried alone.

Treat this file as configuration: nothing is read at import time. Everything that differs between deployments is
rendered by Airflow when a task runs:

Airflow Variables (set once per deployment; docs/deploy.md has the commands)
    lakepipe_jar           the job jar where spark-submit reads it, e.g. hdfs:///lakepipe/lakepipe-job.jar
    lakepipe_jvm_options   the Java 17 flags: the contents of app/target/lakepipe-jvm.options
    lakepipe_conf_files    files spark-submit ships to the driver's working folder (YARN cluster mode), e.g.
                           /opt/lakepipe/conf/application.conf,/opt/lakepipe/conf/yarn.conf; empty in client mode
DAG params (defaults below; change them per run in the trigger form)
    conf                   the main conf file as the driver sees it (a shipped file's name, or a path)
    env                    yarn or standalone: the CLI loads <env>.conf next to the conf file
Airflow connection
    lakepipe_spark         a Spark connection: host yarn or spark://host:7077, extra {"deploy-mode": "cluster"}.
                           SparkSubmitOperator does not template conn_id, so its name is fixed here; what it
                           points at is configuration.

The run id is Airflow's run_id with ':', '+' and '~' replaced (a Lakepipe run id names folders and Delta rows),
so every task of one DAG run, and every retry of a task, passes the same --run-id: a retried stage replaces its
own rows instead of adding new ones.

Written for Airflow 2.7+ with apache-airflow-providers-apache-spark (Airflow 3 dropped task SLAs).
"""
from __future__ import annotations

from datetime import timedelta

import pendulum
from airflow import DAG
from airflow.models.param import Param
from airflow.providers.apache.spark.operators.spark_submit import SparkSubmitOperator

DAG_ID = "lakepipe_pipeline"
SPARK_CONN_ID = "lakepipe_spark"
RUN_ID = "{{ run_id | replace(':', '') | replace('+', '_') | replace('~', '_') }}"
CLI_OPTIONS = ["--conf", "{{ params.conf }}", "--env", "{{ params.env }}", "--run-id", RUN_ID]

SUBMIT = {
    "conn_id": SPARK_CONN_ID,
    "application": "{{ var.value.lakepipe_jar }}",
    "java_class": "dev.lakepipe.app.LakepipeCli",
    "files": "{{ var.value.lakepipe_conf_files }}",
    "name": "lakepipe-{{ task.task_id }}",
    "conf": {
        "spark.driver.extraJavaOptions": "{{ var.value.lakepipe_jvm_options }}",
        "spark.executor.extraJavaOptions": "{{ var.value.lakepipe_jvm_options }}",
    },
}

default_args = {
    "owner": "lakepipe",
    "retries": 2,
    "retry_delay": timedelta(minutes=5),
    "retry_exponential_backoff": True,
    "max_retry_delay": timedelta(minutes=30),
    "sla": timedelta(hours=6),
}

with DAG(
    dag_id=DAG_ID,
    description="Raw sources to an evaluated model: one spark-submit of the Lakepipe job jar per stage",
    doc_md=__doc__,
    schedule="@daily",
    start_date=pendulum.datetime(2026, 1, 1, tz="UTC"),
    catchup=False,
    max_active_runs=1,
    default_args=default_args,
    params={
        "conf": Param("application.conf", type="string", description="The main conf file as the driver sees it"),
        "env": Param("yarn", enum=["yarn", "standalone"], description="Loads <env>.conf next to the conf file"),
    },
    tags=["lakepipe", "spark"],
) as dag:
    ingest = SparkSubmitOperator(task_id="ingest", application_args=["ingest", *CLI_OPTIONS], **SUBMIT)
    clean = SparkSubmitOperator(task_id="clean", application_args=["clean", *CLI_OPTIONS], **SUBMIT)
    features = SparkSubmitOperator(task_id="features", application_args=["features", *CLI_OPTIONS], **SUBMIT)
    train = SparkSubmitOperator(task_id="train", application_args=["train", *CLI_OPTIONS], **SUBMIT)
    evaluate = SparkSubmitOperator(task_id="evaluate", application_args=["evaluate", *CLI_OPTIONS], **SUBMIT)

    ingest >> clean >> features >> train >> evaluate
