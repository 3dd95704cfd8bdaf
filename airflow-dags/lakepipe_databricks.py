"""Lakepipe on Databricks: one JAR task run per stage, submitted from Airflow.

ingest >> clean >> features >> train >> evaluate, each task a Databricks run (runs/submit) of the job jar's
``dev.lakepipe.app.LakepipeCli <stage> --conf ... --env databricks --run-id ...`` on a new cluster with Java 17.
With --env databricks the CLI uses the cluster's session, creates tables in the metastore by name
(conf/databricks.conf: tables.mode = metastore) and never calls System.exit.

Each stage starts its own cluster (a few minutes each). To run all stages on one job cluster, create the job
in deploy/databricks-job.json instead (docs/deploy.md) and trigger it from Airflow with DatabricksRunNowOperator.

Treat this file as configuration: nothing is read at import time.

Airflow Variables (set once per deployment; docs/deploy.md has the commands)
    lakepipe_databricks_jar        the job jar, e.g. /Volumes/main/lakepipe/files/lakepipe-job.jar
    lakepipe_databricks_node_type  the workers' node type, e.g. i3.xlarge (AWS) or Standard_DS3_v2 (Azure)
    lakepipe_jvm_options           the Java 17 flags: the contents of app/target/lakepipe-jvm.options
DAG params (defaults below; change them per run in the trigger form)
    conf                           the main conf file as the driver reads it; databricks.conf must sit beside it
    workers                        the number of workers of each stage's cluster
    databricks_conn_id             the Airflow connection to the workspace

The run id is Airflow's run_id with ':', '+' and '~' replaced, the same for every task of one DAG run and every
retry, so a retried stage replaces its own rows instead of adding new ones.

Written for Airflow 2.7+ with apache-airflow-providers-databricks (Airflow 3 dropped task SLAs).
"""
from __future__ import annotations

from datetime import timedelta

import pendulum
from airflow import DAG
from airflow.models.param import Param
from airflow.providers.databricks.operators.databricks import DatabricksSubmitRunOperator

DAG_ID = "lakepipe_databricks"
MAIN_CLASS = "dev.lakepipe.app.LakepipeCli"
RUN_ID = "{{ run_id | replace(':', '') | replace('+', '_') | replace('~', '_') }}"
CLI_OPTIONS = ["--conf", "{{ params.conf }}", "--env", "databricks", "--run-id", RUN_ID]

SUBMIT = {
    "databricks_conn_id": "{{ params.databricks_conn_id }}",
    "run_name": "lakepipe-{{ task.task_id }}-" + RUN_ID,
    "new_cluster": {
        # Databricks Runtime 15.4 LTS: Spark 3.5.0, Scala 2.12; JNAME switches its JVM to Java 17.
        "spark_version": "15.4.x-scala2.12",
        "node_type_id": "{{ var.value.lakepipe_databricks_node_type }}",
        "num_workers": "{{ params.workers }}",
        "data_security_mode": "SINGLE_USER",
        "spark_env_vars": {"JNAME": "zulu17-ca-amd64"},
        "spark_conf": {
            "spark.driver.extraJavaOptions": "{{ var.value.lakepipe_jvm_options }}",
            "spark.executor.extraJavaOptions": "{{ var.value.lakepipe_jvm_options }}",
        },
    },
    "libraries": [{"jar": "{{ var.value.lakepipe_databricks_jar }}"}],
}

default_args = {
    "owner": "lakepipe",
    "retries": 2,
    "retry_delay": timedelta(minutes=5),
    "retry_exponential_backoff": True,
    "max_retry_delay": timedelta(minutes=30),
    "sla": timedelta(hours=8),
}

with DAG(
    dag_id=DAG_ID,
    description="Raw sources to an evaluated model: one Databricks JAR run of the Lakepipe job jar per stage",
    doc_md=__doc__,
    schedule="@daily",
    start_date=pendulum.datetime(2026, 1, 1, tz="UTC"),
    catchup=False,
    max_active_runs=1,
    default_args=default_args,
    params={
        "conf": Param("/Volumes/main/lakepipe/files/conf/application.conf", type="string",
                      description="The main conf file as the driver reads it; databricks.conf beside it"),
        "workers": Param(2, type="integer", minimum=1, description="Workers of each stage's cluster"),
        "databricks_conn_id": Param("databricks_default", type="string",
                                    description="The Airflow connection to the workspace"),
    },
    tags=["lakepipe", "databricks"],
) as dag:
    ingest = DatabricksSubmitRunOperator(
        task_id="ingest", spark_jar_task={"main_class_name": MAIN_CLASS, "parameters": ["ingest", *CLI_OPTIONS]},
        **SUBMIT)
    clean = DatabricksSubmitRunOperator(
        task_id="clean", spark_jar_task={"main_class_name": MAIN_CLASS, "parameters": ["clean", *CLI_OPTIONS]},
        **SUBMIT)
    features = DatabricksSubmitRunOperator(
        task_id="features",
        spark_jar_task={"main_class_name": MAIN_CLASS, "parameters": ["features", *CLI_OPTIONS]}, **SUBMIT)
    train = DatabricksSubmitRunOperator(
        task_id="train", spark_jar_task={"main_class_name": MAIN_CLASS, "parameters": ["train", *CLI_OPTIONS]},
        **SUBMIT)
    evaluate = DatabricksSubmitRunOperator(
        task_id="evaluate",
        spark_jar_task={"main_class_name": MAIN_CLASS, "parameters": ["evaluate", *CLI_OPTIONS]}, **SUBMIT)

    ingest >> clean >> features >> train >> evaluate
