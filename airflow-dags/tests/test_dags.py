"""The Airflow DAGs and the Databricks job, checked without Airflow (see dag_checker).

Each DAG is parsed, checked against Lakepipe's rules and the exact shape written here by hand, and its command
lines rendered for sample runs. The mutation tests prove the checks can fail: a copy of a DAG with a task or an
edge removed, catch-up on, no retries, a Variable read at import time, or a run id that changes on retry must be
refused. When LAKEPIPE_DAG_COMMANDS names a file, every command line is written there as JSON; the JUnit test
AirflowDagsTest (app module) runs each through the CLI with --dry-run against conf/application.conf.
"""
from __future__ import annotations

import ast
import datetime as dt
import json
import os
import re
import unittest
from pathlib import Path

import dag_checker as dc

DAGS = Path(__file__).resolve().parent.parent
ROOT = DAGS.parent
PIPELINE = DAGS / "lakepipe_pipeline.py"
DATABRICKS = DAGS / "lakepipe_databricks.py"
JOB_JSON = ROOT / "deploy" / "databricks-job.json"
DEPLOY_DOC = ROOT / "docs" / "deploy.md"
CONF = str(ROOT / "conf" / "application.conf")

# Airflow's run ids as Airflow writes them, and what the DAGs' run id template makes of them (by hand: ':' dropped,
# '+' and '~' to '_').
SCHEDULED = "scheduled__2026-11-29T00:00:00+00:00"
SCHEDULED_ID = "scheduled__2026-11-29T000000_0000"
MANUAL = "manual__2026-11-29T10:15:30.123456+00:00"
MANUAL_ID = "manual__2026-11-29T101530.123456_0000"
DATABRICKS_JOB_RUN_ID = "1043871"


def pom_flags() -> str:
    """The Java 17 flags: the root pom's one property (app/target/lakepipe-jvm.options is filtered from it)."""
    pom = (ROOT / "pom.xml").read_text(encoding="utf-8")
    return re.search(r"<lakepipe\.java17\.flags>(.*?)</lakepipe\.java17\.flags>", pom, re.S).group(1).strip()


VARIABLES = {
    "lakepipe_jar": "hdfs:///lakepipe/lakepipe-job.jar",
    "lakepipe_jvm_options": pom_flags(),
    "lakepipe_conf_files": "/opt/lakepipe/conf/application.conf,/opt/lakepipe/conf/yarn.conf",
    "lakepipe_databricks_jar": "/Volumes/main/lakepipe/files/lakepipe-job.jar",
    "lakepipe_databricks_node_type": "i3.xlarge",
}


def context(model: dc.DagModel, run_id: str, try_number: int = 1) -> dict:
    """What Airflow passes to the templates of one task try; the conf param points at the repository's conf."""
    return {"params": {**dc.params_defaults(model), "conf": CONF}, "var": {"value": VARIABLES}, "run_id": run_id,
            "ti": {"try_number": try_number}}


def load(path: Path) -> dc.DagModel:
    return dc.parse_dag(path.read_text(encoding="utf-8"))


class PipelineDagTest(unittest.TestCase):
    model = load(PIPELINE)

    def test_passes_every_rule(self):
        self.assertEqual(dc.check_spark_dag(self.model, "lakepipe_pipeline"), [])

    def test_shape(self):
        m = self.model
        self.assertEqual(m.dag_kwargs["dag_id"], "lakepipe_pipeline")
        self.assertIs(m.dag_kwargs["catchup"], False)
        self.assertEqual(m.dag_kwargs["tags"], ["lakepipe", "spark"])
        self.assertEqual(m.dag_kwargs["start_date"], dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc))
        self.assertEqual(sorted(m.tasks), ["clean", "evaluate", "features", "ingest", "train"])
        self.assertEqual(m.edges, {("ingest", "clean"), ("clean", "features"), ("features", "train"),
                                   ("train", "evaluate")})
        self.assertEqual(m.default_args, {"owner": "lakepipe", "retries": 2, "retry_delay": dt.timedelta(minutes=5),
                                          "retry_exponential_backoff": True,
                                          "max_retry_delay": dt.timedelta(minutes=30),
                                          "sla": dt.timedelta(hours=6)})
        self.assertEqual(dc.params_defaults(m), {"conf": "application.conf", "env": "yarn"})
        for task in m.tasks.values():
            self.assertEqual(task.kwargs["conn_id"], "lakepipe_spark")
            self.assertEqual(task.kwargs["application"], "{{ var.value.lakepipe_jar }}")
            self.assertEqual(task.kwargs["files"], "{{ var.value.lakepipe_conf_files }}")

    def test_command_lines_are_the_cli_with_one_run_id(self):
        lines = dc.dag_command_lines(self.model, context(self.model, SCHEDULED))
        self.assertEqual([(c["task"], c["args"]) for c in lines], [
            (s, [s, "--conf", CONF, "--env", "yarn", "--run-id", SCHEDULED_ID]) for s in dc.STAGES])
        for c in lines:
            self.assertEqual(c["main_class"], "dev.lakepipe.app.LakepipeCli")
            self.assertEqual(c["spark_conf"], {"spark.driver.extraJavaOptions": pom_flags(),
                                               "spark.executor.extraJavaOptions": pom_flags()})
        manual = dc.dag_command_lines(self.model, context(self.model, MANUAL))
        self.assertEqual({tuple(c["args"][-2:]) for c in manual}, {("--run-id", MANUAL_ID)})

    def test_one_run_id_per_dag_run_kept_by_retries(self):
        self.assertEqual(dc.check_run_ids(self.model, lambda r, t: context(self.model, r, t)), [])

    def test_the_renderer_agrees_with_jinja2(self):
        agree_with_jinja2(self, self.model)


class DatabricksDagTest(unittest.TestCase):
    model = load(DATABRICKS)

    def test_passes_every_rule(self):
        self.assertEqual(dc.check_databricks_dag(self.model, "lakepipe_databricks"), [])

    def test_shape(self):
        m = self.model
        self.assertEqual(m.dag_kwargs["dag_id"], "lakepipe_databricks")
        self.assertIs(m.dag_kwargs["catchup"], False)
        self.assertEqual(m.dag_kwargs["tags"], ["lakepipe", "databricks"])
        self.assertEqual(dc.chain_of(m.edges), ["ingest", "clean", "features", "train", "evaluate"])
        self.assertEqual(m.default_args["retries"], 2)
        self.assertEqual(m.default_args["sla"], dt.timedelta(hours=8))
        cluster = m.tasks["train"].kwargs["new_cluster"]
        self.assertEqual(cluster["spark_version"], "15.4.x-scala2.12")
        self.assertEqual(cluster["spark_env_vars"], {"JNAME": "zulu17-ca-amd64"})
        self.assertEqual(m.tasks["train"].kwargs["libraries"], [{"jar": "{{ var.value.lakepipe_databricks_jar }}"}])

    def test_one_run_id_per_dag_run_kept_by_retries(self):
        self.assertEqual(dc.check_run_ids(self.model, lambda r, t: context(self.model, r, t)), [])

    def test_command_lines_pass_env_databricks(self):
        ctx = context(self.model, SCHEDULED)
        lines = dc.dag_command_lines(self.model, ctx)
        self.assertEqual([(c["task"], c["args"]) for c in lines], [
            (s, [s, "--conf", CONF, "--env", "databricks", "--run-id", SCHEDULED_ID]) for s in dc.STAGES])
        rendered = dc.render_all(self.model.tasks["ingest"].kwargs, {**ctx, "task": {"task_id": "ingest"}})
        self.assertEqual(rendered["new_cluster"]["node_type_id"], "i3.xlarge")
        self.assertEqual(rendered["new_cluster"]["num_workers"], "2")
        self.assertEqual(rendered["run_name"], "lakepipe-ingest-" + SCHEDULED_ID)
        self.assertEqual(rendered["databricks_conn_id"], "databricks_default")

    def test_the_renderer_agrees_with_jinja2(self):
        agree_with_jinja2(self, self.model)


def agree_with_jinja2(test: unittest.TestCase, model: dc.DagModel):
    """Where jinja2 is installed (Airflow's own renderer), it renders every templated string as render does."""
    try:
        import jinja2
    except ImportError:
        test.skipTest("jinja2 is not installed; dag_checker.render alone renders the templates")
    env = jinja2.Environment(undefined=jinja2.StrictUndefined)
    seen = 0
    for tid, task in model.tasks.items():
        ctx = {**context(model, MANUAL), "task": {"task_id": tid}}
        for s in strings(task.kwargs):
            test.assertEqual(dc.render(s, ctx), env.from_string(s).render(**ctx), s)
            seen += "{{" in s
    test.assertGreater(seen, 20)


def strings(value):
    if isinstance(value, str):
        yield value
    elif isinstance(value, list):
        for v in value:
            yield from strings(v)
    elif isinstance(value, dict):
        for v in value.values():
            yield from strings(v)


class RendererTest(unittest.TestCase):
    def test_refuses_what_it_does_not_understand(self):
        ctx = {"params": {"conf": "a.conf"}, "run_id": "r:1"}
        self.assertEqual(dc.render("{{ params.conf }}-{{ run_id | replace(':', '') }}", ctx), "a.conf-r1")
        for bad in ("{{ params.env }}", "{{ run_id | upper }}", "{% if x %}y{% endif %}", "{{ params['conf'] }}",
                    "{{ params.conf"):
            with self.assertRaises(dc.TemplateError, msg=bad):
                dc.render(bad, ctx)


class DatabricksJobJsonTest(unittest.TestCase):
    job = json.loads(JOB_JSON.read_text(encoding="utf-8"))

    def test_passes_every_rule(self):
        self.assertEqual(dc.check_job_json(self.job, pom_flags()), [])

    def test_tasks_chain_by_depends_on(self):
        self.assertEqual([(t["task_key"], [d["task_key"] for d in t.get("depends_on", [])])
                          for t in self.job["tasks"]],
                         [("ingest", []), ("clean", ["ingest"]), ("features", ["clean"]), ("train", ["features"]),
                          ("evaluate", ["train"])])

    def test_command_lines(self):
        lines = dc.job_command_lines(self.job, {"job": {"run_id": DATABRICKS_JOB_RUN_ID}})
        self.assertEqual([c["args"] for c in lines], [
            [s, "--conf", "/Volumes/main/lakepipe/files/conf/application.conf", "--env", "databricks",
             "--run-id", DATABRICKS_JOB_RUN_ID] for s in dc.STAGES])

    def test_docs_deploy_embeds_exactly_this_json(self):
        doc = DEPLOY_DOC.read_text(encoding="utf-8")
        blocks = re.findall(r"```json\n(.*?)```", doc, re.S)
        self.assertEqual(blocks, [JOB_JSON.read_text(encoding="utf-8")],
                         "docs/deploy.md must hold deploy/databricks-job.json verbatim in its one ```json block")

    def test_a_broken_job_is_refused(self):
        job = json.loads(json.dumps(self.job))
        del job["tasks"][2]["depends_on"]
        job["job_clusters"][0]["new_cluster"]["spark_conf"]["spark.executor.extraJavaOptions"] = "-Xmx1g"
        problems = dc.check_job_json(job, pom_flags())
        self.assertTrue(any("is not the chain" in p for p in problems), problems)
        self.assertTrue(any("spark.executor.extraJavaOptions must be the Java 17 flags" in p for p in problems),
                        problems)


# --- mutations: the checks must be able to fail ---------------------------------------------------------------

def mutate(path: Path, change) -> dc.DagModel:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    change(tree, next(s for s in tree.body if isinstance(s, ast.With)))
    return dc.parse_dag(ast.unparse(tree))


def set_dependencies(block: ast.With, *lines: str):
    block.body = [s for s in block.body if not isinstance(s, ast.Expr)] + [ast.parse(x).body[0] for x in lines]


def drop_task(block: ast.With, var: str):
    block.body = [s for s in block.body if not (isinstance(s, ast.Assign) and s.targets[0].id == var)]


def dag_call(block: ast.With) -> ast.Call:
    return block.items[0].context_expr


def module_assign(tree: ast.Module, name: str) -> ast.Assign:
    return next(s for s in tree.body if isinstance(s, ast.Assign) and s.targets[0].id == name)


class MutationTest(unittest.TestCase):
    def assert_refused(self, model: dc.DagModel, check, dag_id: str, expected: str):
        problems = check(model, dag_id)
        self.assertTrue(any(expected in p for p in problems), f"expected a problem with {expected!r}: {problems}")

    def test_a_removed_task_is_refused(self):
        def change(tree, block):
            drop_task(block, "features")
            set_dependencies(block, "ingest >> clean >> train >> evaluate")
        self.assert_refused(mutate(PIPELINE, change), dc.check_spark_dag, "lakepipe_pipeline",
                            "expected one per stage")
        self.assert_refused(mutate(DATABRICKS, change), dc.check_databricks_dag, "lakepipe_databricks",
                            "expected one per stage")

    def test_a_removed_edge_is_refused(self):
        def change(tree, block):
            set_dependencies(block, "ingest >> clean", "features >> train >> evaluate")
        self.assert_refused(mutate(PIPELINE, change), dc.check_spark_dag, "lakepipe_pipeline", "are not the chain")
        self.assert_refused(mutate(DATABRICKS, change), dc.check_databricks_dag, "lakepipe_databricks",
                            "are not the chain")

    def test_stages_out_of_order_or_in_parallel_are_refused(self):
        self.assert_refused(mutate(PIPELINE, lambda t, b: set_dependencies(
            b, "ingest >> clean >> train >> features >> evaluate")), dc.check_spark_dag, "lakepipe_pipeline",
            "are not the chain")
        self.assert_refused(mutate(PIPELINE, lambda t, b: set_dependencies(
            b, "ingest >> clean >> [features, train] >> evaluate")), dc.check_spark_dag, "lakepipe_pipeline",
            "are not the chain")

    def test_catchup_on_is_refused(self):
        def change(tree, block):
            next(k for k in dag_call(block).keywords if k.arg == "catchup").value = ast.Constant(True)
        self.assert_refused(mutate(PIPELINE, change), dc.check_spark_dag, "lakepipe_pipeline",
                            "catchup must be False")

    def test_no_retries_or_no_sla_is_refused(self):
        def change(tree, block):
            args = module_assign(tree, "default_args").value
            keep = [i for i, k in enumerate(args.keys) if k.value not in ("retry_exponential_backoff", "sla")]
            args.keys = [args.keys[i] for i in keep]
            args.values = [args.values[i] for i in keep]
        model = mutate(PIPELINE, change)
        self.assert_refused(model, dc.check_spark_dag, "lakepipe_pipeline", "retry_exponential_backoff must be True")
        self.assert_refused(model, dc.check_spark_dag, "lakepipe_pipeline", "default_args.sla must be")

    def test_a_variable_read_at_import_time_is_refused(self):
        def change(tree, block):
            module_assign(tree, "SUBMIT").value.values[1] = ast.parse('Variable.get("lakepipe_jar")').body[0].value
        self.assert_refused(mutate(PIPELINE, change), dc.check_spark_dag, "lakepipe_pipeline",
                            "Variable.get() runs at import time")

    def test_file_io_or_environment_at_import_time_is_refused(self):
        source = PIPELINE.read_text(encoding="utf-8")
        for extra, expected in (('JAR = open("/etc/lakepipe/jar").read()', "open() runs at import time"),
                                ('ENV = os.environ["LAKEPIPE_ENV"]', "os.environ reads configuration"),
                                ("def conf_path():\n    return '/x'", "a function or class")):
            model = dc.parse_dag(source.replace("\nDAG_ID = ", "\n" + extra + "\nDAG_ID = "))
            self.assert_refused(model, dc.check_spark_dag, "lakepipe_pipeline", expected)

    def test_a_run_id_that_changes_on_retry_or_not_per_run_is_refused(self):
        for template, expected in (("{{ run_id }}-{{ ti.try_number }}", "a retry issues another command line"),
                                   ("{{ params.env }}", "two DAG runs pass the same run id"),
                                   ("20261129", "--run-id must be a template")):
            def change(tree, block):
                module_assign(tree, "RUN_ID").value = ast.Constant(template)
            model = mutate(PIPELINE, change)
            problems = dc.check_spark_dag(model, "lakepipe_pipeline") \
                + dc.check_run_ids(model, lambda r, t: context(model, r, t))
            self.assertTrue(any(expected in p for p in problems), f"{template}: {problems}")


class CommandLinesExport(unittest.TestCase):
    """Writes every command line to $LAKEPIPE_DAG_COMMANDS for AirflowDagsTest (JUnit) to dry-run."""

    def test_export(self):
        out = []
        pipeline, databricks = load(PIPELINE), load(DATABRICKS)
        for model, source, env in ((pipeline, PIPELINE, "yarn"), (databricks, DATABRICKS, "databricks")):
            for run_id, expected_id in ((SCHEDULED, SCHEDULED_ID), (MANUAL, MANUAL_ID)):
                for c in dc.dag_command_lines(model, context(model, run_id)):
                    out.append({"source": str(source.relative_to(ROOT)), "env": env, "run_id": expected_id, **c})
        job = json.loads(JOB_JSON.read_text(encoding="utf-8"))
        for c in dc.job_command_lines(job, {"job": {"run_id": DATABRICKS_JOB_RUN_ID}}):
            # The job reads its conf from a Unity Catalog volume; here the repository's conf stands in for it.
            c["args"] = dc.replace_cli_option(c["args"], "--conf", CONF)
            out.append({"source": str(JOB_JSON.relative_to(ROOT)), "env": "databricks",
                        "run_id": DATABRICKS_JOB_RUN_ID, **c})
        self.assertEqual(len(out), 5 * 2 * 2 + 5)
        target = os.environ.get("LAKEPIPE_DAG_COMMANDS")
        if target:
            Path(target).parent.mkdir(parents=True, exist_ok=True)
            Path(target).write_text(json.dumps(out, indent=1), encoding="utf-8")


if __name__ == "__main__":
    unittest.main()
