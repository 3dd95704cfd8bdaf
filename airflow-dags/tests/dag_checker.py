"""Reads an Airflow DAG file the way a reviewer does, without importing Airflow.

Airflow is not installed where the test suite runs, so the DAG files are parsed with ``ast`` and their module-level
constants evaluated by a small evaluator that understands literals, names bound to literals, ``*list`` and
``**dict`` unpacking, ``timedelta``, ``pendulum.datetime`` and ``Param``. From that it builds a ``DagModel``: the
``DAG(...)`` arguments, each task's operator class and keyword arguments, and the edges of every ``>>`` / ``<<``
expression. Anything it cannot read (an unknown call at import time, a statement that is not an assignment, a
``with DAG`` block or a dependency expression) is reported as a problem rather than skipped, so a DAG cannot pass
by hiding something from the checker.

``render`` renders the Jinja templates the DAGs use (``{{ params.x }}``, ``{{ var.value.x }}``, ``{{ run_id }}``,
``{{ task.task_id }}``, dotted names, and the ``replace`` filter) without jinja2, and refuses any other template
syntax; the tests compare it with jinja2 where jinja2 is installed.
"""
from __future__ import annotations

import ast
import datetime as _dt
import re
from dataclasses import dataclass, field
from typing import Any

# Calls a DAG file may make while it is imported: building the DAG and its tasks. Anything else (Variable.get,
# open, os.getenv, requests, a helper function) would run on every scheduler parse, or hide a value from review.
IMPORT_TIME_CALLS = {"DAG", "SparkSubmitOperator", "DatabricksSubmitRunOperator", "timedelta",
                     "pendulum.datetime", "Param"}
OPERATORS = {"SparkSubmitOperator", "DatabricksSubmitRunOperator"}


class Unreadable(Exception):
    """A node the evaluator does not understand."""


@dataclass
class Task:
    var: str
    operator: str
    kwargs: dict[str, Any]


@dataclass
class DagModel:
    dag_kwargs: dict[str, Any] = field(default_factory=dict)
    constants: dict[str, Any] = field(default_factory=dict)
    tasks: dict[str, Task] = field(default_factory=dict)   # by task_id
    edges: set[tuple[str, str]] = field(default_factory=set)  # (upstream task_id, downstream task_id)
    problems: list[str] = field(default_factory=list)

    @property
    def default_args(self) -> dict[str, Any]:
        return self.dag_kwargs.get("default_args", {})


def _callee(node: ast.Call) -> str:
    f = node.func
    if isinstance(f, ast.Name):
        return f.id
    if isinstance(f, ast.Attribute) and isinstance(f.value, ast.Name):
        return f.value.id + "." + f.attr
    return ast.unparse(f)


def evaluate(node: ast.AST, env: dict[str, Any]) -> Any:
    """The value of a module-level expression, or Unreadable."""
    if isinstance(node, ast.Constant):
        return node.value
    if isinstance(node, ast.Name):
        if node.id in env:
            return env[node.id]
        raise Unreadable(f"name '{node.id}' is not a module-level constant")
    if isinstance(node, (ast.List, ast.Tuple)):
        out: list[Any] = []
        for e in node.elts:
            if isinstance(e, ast.Starred):
                out.extend(evaluate(e.value, env))
            else:
                out.append(evaluate(e, env))
        return out
    if isinstance(node, ast.Dict):
        d: dict[Any, Any] = {}
        for k, v in zip(node.keys, node.values):
            if k is None:
                d.update(evaluate(v, env))
            else:
                d[evaluate(k, env)] = evaluate(v, env)
        return d
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        return evaluate(node.left, env) + evaluate(node.right, env)
    if isinstance(node, ast.Call):
        name = _callee(node)
        args = [evaluate(a, env) for a in node.args]
        kwargs = _keywords(node, env)
        if name == "timedelta":
            return _dt.timedelta(*args, **kwargs)
        if name == "pendulum.datetime":
            tz = kwargs.pop("tz", None)
            if tz != "UTC":
                raise Unreadable("pendulum.datetime needs tz=\"UTC\"")
            return _dt.datetime(*args, tzinfo=_dt.timezone.utc, **kwargs)
        if name == "Param":
            return {"default": args[0] if args else kwargs.pop("default", None), **kwargs}
        raise Unreadable(f"call {name}() cannot be evaluated")
    raise Unreadable(f"expression {ast.unparse(node)!r} cannot be evaluated")


def _keywords(call: ast.Call, env: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for kw in call.keywords:
        if kw.arg is None:
            out.update(evaluate(kw.value, env))
        else:
            out[kw.arg] = evaluate(kw.value, env)
    return out


def _import_time_problems(tree: ast.Module) -> list[str]:
    """Calls and environment reads that would run when Airflow imports the file."""
    problems = []

    def visit(node: ast.AST) -> None:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef)):
            problems.append(f"line {node.lineno}: a function or class in a DAG file; keep the file declarative")
            return
        if isinstance(node, ast.Call) and _callee(node) not in IMPORT_TIME_CALLS:
            problems.append(f"line {node.lineno}: {_callee(node)}() runs at import time")
        if isinstance(node, ast.Attribute) and node.attr in ("environ", "getenv", "get") \
                and isinstance(node.value, ast.Name) and node.value.id in ("os", "Variable"):
            problems.append(f"line {node.lineno}: {node.value.id}.{node.attr} reads configuration at import time; "
                            "use a Jinja template ({{ var.value.x }}, {{ params.x }})")
        for child in ast.iter_child_nodes(node):
            visit(child)

    for stmt in tree.body:
        if isinstance(stmt, (ast.Import, ast.ImportFrom)):
            continue
        visit(stmt)
    return problems


def _flow(node: ast.AST, tasks_by_var: dict[str, str], edges: set[tuple[str, str]]) -> list[str]:
    """The task ids an expression stands for, adding the edges of its >> and << operators (Airflow's semantics:
    ``a >> b`` makes b downstream of a and evaluates to b)."""
    if isinstance(node, ast.Name):
        if node.id not in tasks_by_var:
            raise Unreadable(f"'{node.id}' is not a task")
        return [tasks_by_var[node.id]]
    if isinstance(node, (ast.List, ast.Tuple)):
        return [t for e in node.elts for t in _flow(e, tasks_by_var, edges)]
    if isinstance(node, ast.BinOp) and isinstance(node.op, (ast.RShift, ast.LShift)):
        left = _flow(node.left, tasks_by_var, edges)
        right = _flow(node.right, tasks_by_var, edges)
        for a in left:
            for b in right:
                edges.add((a, b) if isinstance(node.op, ast.RShift) else (b, a))
        return right
    raise Unreadable(f"dependency expression {ast.unparse(node)!r} cannot be read")


def parse_dag(source: str) -> DagModel:
    """The DagModel of a DAG file's source; what could not be read is in ``problems``."""
    model = DagModel()
    tree = ast.parse(source)
    model.problems.extend(_import_time_problems(tree))
    env: dict[str, Any] = {"__doc__": ast.get_docstring(tree)}
    dag_blocks = 0
    for stmt in tree.body:
        if isinstance(stmt, (ast.Import, ast.ImportFrom)):
            continue
        if isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Constant) and isinstance(stmt.value.value, str):
            continue  # the module docstring
        if isinstance(stmt, ast.Assign) and len(stmt.targets) == 1 and isinstance(stmt.targets[0], ast.Name):
            try:
                env[stmt.targets[0].id] = evaluate(stmt.value, env)
            except Unreadable as e:
                model.problems.append(f"line {stmt.lineno}: {e}")
            continue
        if isinstance(stmt, ast.With) and len(stmt.items) == 1 and isinstance(stmt.items[0].context_expr, ast.Call) \
                and _callee(stmt.items[0].context_expr) == "DAG":
            dag_blocks += 1
            try:
                model.dag_kwargs = _keywords(stmt.items[0].context_expr, env)
            except Unreadable as e:
                model.problems.append(f"line {stmt.lineno}: DAG(...): {e}")
            _read_dag_body(stmt.body, env, model)
            continue
        model.problems.append(f"line {stmt.lineno}: statement {ast.unparse(stmt)[:60]!r} is not a constant, an "
                              "import or the 'with DAG(...)' block")
    if dag_blocks != 1:
        model.problems.append(f"expected exactly one 'with DAG(...) as dag:' block, found {dag_blocks}")
    model.constants = env
    return model


def _read_dag_body(body: list[ast.stmt], env: dict[str, Any], model: DagModel) -> None:
    tasks_by_var: dict[str, str] = {}
    for stmt in body:
        if isinstance(stmt, ast.Assign) and len(stmt.targets) == 1 and isinstance(stmt.targets[0], ast.Name) \
                and isinstance(stmt.value, ast.Call) and _callee(stmt.value) in OPERATORS:
            var = stmt.targets[0].id
            try:
                kwargs = _keywords(stmt.value, env)
            except Unreadable as e:
                model.problems.append(f"line {stmt.lineno}: task {var}: {e}")
                continue
            task_id = kwargs.get("task_id")
            if not isinstance(task_id, str):
                model.problems.append(f"line {stmt.lineno}: task {var} has no literal task_id")
                continue
            if task_id in model.tasks:
                model.problems.append(f"line {stmt.lineno}: task_id '{task_id}' is used twice")
            model.tasks[task_id] = Task(var, _callee(stmt.value), kwargs)
            tasks_by_var[var] = task_id
            continue
        if isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.BinOp):
            try:
                _flow(stmt.value, tasks_by_var, model.edges)
            except Unreadable as e:
                model.problems.append(f"line {stmt.lineno}: {e}")
            continue
        model.problems.append(f"line {stmt.lineno}: statement {ast.unparse(stmt)[:60]!r} in the DAG block is "
                              "neither a task nor a dependency expression")


def chain_of(edges: set[tuple[str, str]]) -> list[str] | None:
    """The task ids in order when the edges form one simple chain, else None."""
    if not edges:
        return None
    downstream = {a: b for a, b in edges}
    ups = {b for _, b in edges}
    if len(downstream) != len(edges) or len(ups) != len(edges):
        return None  # a task with two upstreams or two downstreams
    starts = [a for a in downstream if a not in ups]
    if len(starts) != 1:
        return None
    order = [starts[0]]
    while order[-1] in downstream:
        order.append(downstream[order[-1]])
        if len(order) > len(edges) + 1:
            return None
    return order if len(order) == len(edges) + 1 else None


# --- Jinja subset ---------------------------------------------------------------------------------------------

_EXPR = re.compile(r"\{\{(.*?)\}\}", re.S)
_STRING = r"'((?:[^'\\]|\\.)*)'|\"((?:[^\"\\]|\\.)*)\""
_REPLACE = re.compile(r"replace\(\s*(?:" + _STRING + r")\s*,\s*(?:" + _STRING + r")\s*\)\s*$")
_DOTTED = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$")


class TemplateError(Exception):
    """Template syntax outside the subset the DAGs may use, or a name the context does not hold."""


def render(template: str, context: dict[str, Any]) -> str:
    """Renders ``{{ dotted.name | replace('a', 'b') | ... }}`` expressions; refuses anything else."""
    if "{%" in template or "{#" in template:
        raise TemplateError(f"statements and comments are outside the supported subset: {template!r}")

    def one(match: re.Match) -> str:
        parts = [p.strip() for p in _split_filters(match.group(1))]
        name = parts[0]
        if not _DOTTED.match(name):
            raise TemplateError(f"expression {name!r} is not a dotted name")
        value: Any = context
        for key in name.split("."):
            if not isinstance(value, dict) or key not in value:
                raise TemplateError(f"'{name}' is undefined in the sample context")
            value = value[key]
        text = str(value)
        for f in parts[1:]:
            m = _REPLACE.match(f)
            if not m:
                raise TemplateError(f"filter {f!r} is outside the supported subset (replace)")
            old = m.group(1) if m.group(1) is not None else m.group(2)
            new = m.group(3) if m.group(3) is not None else m.group(4)
            text = text.replace(old, new)
        return text

    out = _EXPR.sub(one, template)
    if "{{" in out or "}}" in out:
        raise TemplateError(f"unbalanced template braces in {template!r}")
    return out


def _split_filters(expr: str) -> list[str]:
    """Splits on '|' outside quotes."""
    parts, cur, quote = [], [], None
    for ch in expr:
        if quote:
            cur.append(ch)
            if ch == quote:
                quote = None
        elif ch in "'\"":
            quote = ch
            cur.append(ch)
        elif ch == "|":
            parts.append("".join(cur))
            cur = []
        else:
            cur.append(ch)
    parts.append("".join(cur))
    return parts


def render_all(value: Any, context: dict[str, Any]) -> Any:
    """Renders every string inside lists and dicts, as Airflow renders a templated field."""
    if isinstance(value, str):
        return render(value, context)
    if isinstance(value, list):
        return [render_all(v, context) for v in value]
    if isinstance(value, dict):
        return {k: render_all(v, context) for k, v in value.items()}
    return value


# --- Lakepipe's rules for its DAGs ------------------------------------------------------------------------------

STAGES = ["ingest", "clean", "features", "train", "evaluate"]
MAIN_CLASS = "dev.lakepipe.app.LakepipeCli"
JVM_FLAGS_FIELDS = ("spark.driver.extraJavaOptions", "spark.executor.extraJavaOptions")
# Databricks Runtime versions whose Spark is 3.5 with Scala 2.12 (the LTS ones; release notes of each runtime).
SPARK_35_RUNTIMES = {"14.3.x-scala2.12", "15.4.x-scala2.12"}
JAVA17_JNAME = "zulu17-ca-amd64"


def _is_variable_template(value: Any) -> bool:
    return isinstance(value, str) and re.fullmatch(r"\{\{\s*var\.value\.[a-z_]+\s*\}\}", value) is not None


def _cli_option(args: list[Any], option: str) -> Any:
    """The value after ``option`` in a CLI argument list, or None."""
    for i, a in enumerate(args[:-1]):
        if a == option:
            return args[i + 1]
    return None


def check_common(model: DagModel, dag_id: str, operator: str) -> list[str]:
    """What every Lakepipe DAG keeps: its id, no catch-up, retries with back-off, an SLA, tags, one task per
    stage in the CLI's order, each task the given operator."""
    problems = list(model.problems)
    d = model.dag_kwargs
    if d.get("dag_id") != dag_id:
        problems.append(f"dag_id is {d.get('dag_id')!r}, expected {dag_id!r}")
    if d.get("catchup") is not False:
        problems.append(f"catchup must be False (a paused DAG must not replay every missed day), got "
                        f"{d.get('catchup')!r}")
    if not isinstance(d.get("start_date"), _dt.datetime):
        problems.append("start_date must be a static datetime")
    if d.get("max_active_runs") != 1:
        problems.append("max_active_runs must be 1: two runs of one stage would write the same tables")
    tags = d.get("tags")
    if not isinstance(tags, list) or "lakepipe" not in tags:
        problems.append(f"tags must include 'lakepipe', got {tags!r}")
    da = model.default_args
    if not isinstance(da.get("retries"), int) or da.get("retries") < 1:
        problems.append(f"default_args.retries must be at least 1, got {da.get('retries')!r}")
    if da.get("retry_exponential_backoff") is not True:
        problems.append("default_args.retry_exponential_backoff must be True")
    for key in ("retry_delay", "max_retry_delay", "sla"):
        if not isinstance(da.get(key), _dt.timedelta) or da[key] <= _dt.timedelta(0):
            problems.append(f"default_args.{key} must be a positive timedelta, got {da.get(key)!r}")
    if sorted(model.tasks) != sorted(STAGES):
        problems.append(f"task ids are {sorted(model.tasks)}, expected one per stage: {STAGES}")
    chain = chain_of(model.edges)
    if chain != STAGES:
        problems.append(f"dependencies {sorted(model.edges)} are not the chain {' >> '.join(STAGES)}")
    for tid, task in model.tasks.items():
        if task.operator != operator:
            problems.append(f"task {tid} is a {task.operator}, expected {operator}")
    return problems


def check_spark_dag(model: DagModel, dag_id: str) -> list[str]:
    """The spark-submit DAG: the job jar's main class, the CLI's arguments, the JVM flags, all from templates."""
    problems = check_common(model, dag_id, "SparkSubmitOperator")
    for tid, task in model.tasks.items():
        k = task.kwargs
        for required in ("conn_id", "application", "java_class", "application_args", "conf"):
            if required not in k:
                problems.append(f"task {tid} has no {required}")
        if "application" in k and not _is_variable_template(k["application"]):
            problems.append(f"task {tid}: application must come from a Variable ({{{{ var.value.x }}}}), "
                            f"got {k['application']!r}")
        if k.get("java_class") != MAIN_CLASS:
            problems.append(f"task {tid}: java_class is {k.get('java_class')!r}, expected {MAIN_CLASS}")
        problems.extend(_check_cli_args(tid, k.get("application_args", []), env_template=True))
        conf = k.get("conf", {})
        for f in JVM_FLAGS_FIELDS:
            if not _is_variable_template(conf.get(f)):
                problems.append(f"task {tid}: conf {f} must be the JVM flags' Variable, got {conf.get(f)!r}")
    return problems


def check_databricks_dag(model: DagModel, dag_id: str) -> list[str]:
    """The Databricks DAG: a JAR task per stage on a Java 17 cluster with Spark 3.5 / Scala 2.12."""
    problems = check_common(model, dag_id, "DatabricksSubmitRunOperator")
    for tid, task in model.tasks.items():
        k = task.kwargs
        jar_task = k.get("spark_jar_task", {})
        if jar_task.get("main_class_name") != MAIN_CLASS:
            problems.append(f"task {tid}: spark_jar_task.main_class_name is {jar_task.get('main_class_name')!r}")
        args = jar_task.get("parameters", [])
        problems.extend(_check_cli_args(tid, args, env_template=False))
        if _cli_option(args, "--env") != "databricks":
            problems.append(f"task {tid}: parameters must pass --env databricks")
        problems.extend(_check_cluster(tid, k.get("new_cluster", {}), templated=True))
        jars = [lib.get("jar") for lib in k.get("libraries", []) if isinstance(lib, dict)]
        if len(jars) != 1 or not _is_variable_template(jars[0]):
            problems.append(f"task {tid}: libraries must hold the job jar from a Variable, got {jars!r}")
        if "databricks_conn_id" not in k:
            problems.append(f"task {tid} has no databricks_conn_id")
    return problems


def _check_cli_args(tid: str, args: list[Any], env_template: bool) -> list[str]:
    problems = []
    if not args or args[0] != tid:
        problems.append(f"task {tid}: the CLI's first argument must be the stage {tid!r}, got {args[:1]!r}")
    for option in ("--conf", "--run-id") + (("--env",) if env_template else ()):
        value = _cli_option(args, option)
        if not (isinstance(value, str) and "{{" in value):
            problems.append(f"task {tid}: {option} must be a template rendered per run, got {value!r}")
    return problems


def _check_cluster(where: str, cluster: dict[str, Any], templated: bool, flags: str | None = None) -> list[str]:
    problems = []
    if cluster.get("spark_version") not in SPARK_35_RUNTIMES:
        problems.append(f"{where}: spark_version {cluster.get('spark_version')!r} is not a Spark 3.5 / Scala 2.12 "
                        f"runtime ({sorted(SPARK_35_RUNTIMES)})")
    if cluster.get("spark_env_vars", {}).get("JNAME") != JAVA17_JNAME:
        problems.append(f"{where}: spark_env_vars.JNAME must be {JAVA17_JNAME} (Java 17)")
    spark_conf = cluster.get("spark_conf", {})
    for f in JVM_FLAGS_FIELDS:
        ok = _is_variable_template(spark_conf.get(f)) if templated else spark_conf.get(f) == flags
        if not ok:
            problems.append(f"{where}: spark_conf {f} must be the Java 17 flags, got {spark_conf.get(f)!r}")
    if templated and not _is_variable_template(cluster.get("node_type_id")):
        problems.append(f"{where}: node_type_id must come from a Variable, got {cluster.get('node_type_id')!r}")
    return problems


def check_job_json(job: dict[str, Any], flags: str) -> list[str]:
    """The Databricks multi-task job: one JAR task per stage chained by depends_on, on one job cluster with Java
    17 and exactly the build's JVM flags, the job jar in every task's libraries."""
    problems = []
    tasks = {t.get("task_key"): t for t in job.get("tasks", [])}
    if sorted(tasks) != sorted(STAGES) or len(tasks) != len(job.get("tasks", [])):
        problems.append(f"task keys are {[t.get('task_key') for t in job.get('tasks', [])]}, expected {STAGES}")
    edges = {(d.get("task_key"), key) for key, t in tasks.items() for d in t.get("depends_on", [])}
    if chain_of(edges) != STAGES:
        problems.append(f"depends_on {sorted(edges)} is not the chain {' -> '.join(STAGES)}")
    clusters = {c.get("job_cluster_key"): c.get("new_cluster", {}) for c in job.get("job_clusters", [])}
    for key, cluster in clusters.items():
        problems.extend(_check_cluster(f"job cluster {key}", cluster, templated=False, flags=flags))
    for key, t in tasks.items():
        if t.get("job_cluster_key") not in clusters:
            problems.append(f"task {key}: job_cluster_key {t.get('job_cluster_key')!r} is not a job cluster")
        jar_task = t.get("spark_jar_task", {})
        if jar_task.get("main_class_name") != MAIN_CLASS:
            problems.append(f"task {key}: main_class_name is {jar_task.get('main_class_name')!r}")
        args = jar_task.get("parameters", [])
        if not args or args[0] != key:
            problems.append(f"task {key}: the CLI's first argument must be the stage {key!r}, got {args[:1]!r}")
        if _cli_option(args, "--env") != "databricks":
            problems.append(f"task {key}: parameters must pass --env databricks")
        if _cli_option(args, "--run-id") != "{{job.run_id}}":
            problems.append(f"task {key}: --run-id must be {{{{job.run_id}}}} (one id per job run, kept by retries "
                            "and repairs)")
        jars = [lib.get("jar") for lib in t.get("libraries", [])]
        if len(jars) != 1 or not str(jars[0]).endswith("lakepipe-job.jar"):
            problems.append(f"task {key}: libraries must hold the job jar, got {jars!r}")
        if not isinstance(t.get("max_retries"), int) or t["max_retries"] < 1:
            problems.append(f"task {key}: max_retries must be at least 1")
    return problems


def dag_command_lines(model: DagModel, context: dict[str, Any]) -> list[dict[str, Any]]:
    """Every CLI invocation the DAG issues in one run, in chain order, rendered with ``context``."""
    out = []
    for tid in chain_of(model.edges) or []:
        k = model.tasks[tid].kwargs
        ctx = {**context, "task": {"task_id": tid}}
        if "application_args" in k:
            main_class, args = k.get("java_class"), k["application_args"]
            spark_conf = k.get("conf", {})
        else:
            main_class, args = k["spark_jar_task"]["main_class_name"], k["spark_jar_task"]["parameters"]
            spark_conf = k["new_cluster"]["spark_conf"]
        out.append({"task": tid, "main_class": main_class, "args": render_all(args, ctx),
                    "spark_conf": render_all(spark_conf, ctx)})
    return out


def job_command_lines(job: dict[str, Any], context: dict[str, Any]) -> list[dict[str, Any]]:
    """Every CLI invocation of the Databricks job in one run, in depends_on order."""
    tasks = {t["task_key"]: t for t in job["tasks"]}
    edges = {(d["task_key"], key) for key, t in tasks.items() for d in t.get("depends_on", [])}
    cluster = {c["job_cluster_key"]: c["new_cluster"] for c in job["job_clusters"]}
    return [{"task": key, "main_class": tasks[key]["spark_jar_task"]["main_class_name"],
             "args": render_all(tasks[key]["spark_jar_task"]["parameters"], context),
             "spark_conf": cluster[tasks[key]["job_cluster_key"]]["spark_conf"]}
            for key in chain_of(edges) or []]


def params_defaults(model: DagModel) -> dict[str, Any]:
    """The DAG's params as a run without overrides sees them."""
    return {k: (v["default"] if isinstance(v, dict) and "default" in v else v)
            for k, v in model.dag_kwargs.get("params", {}).items()}


def replace_cli_option(args: list[str], option: str, value: str) -> list[str]:
    """``args`` with the value after ``option`` replaced."""
    out = list(args)
    i = out.index(option)
    out[i + 1] = value
    return out


def check_run_ids(model: DagModel, context_for) -> list[str]:
    """One run id per DAG run: every task of a run passes the same --run-id, a retry of a task passes the same
    command line again (so the stage replaces its own rows), and another DAG run passes another run id.
    ``context_for(airflow_run_id, try_number)`` gives the template context of one task try."""
    problems = []
    first = dag_command_lines(model, context_for("scheduled__2026-11-29T00:00:00+00:00", 1))
    retry = dag_command_lines(model, context_for("scheduled__2026-11-29T00:00:00+00:00", 2))
    other = dag_command_lines(model, context_for("scheduled__2026-11-30T00:00:00+00:00", 1))
    ids = {_cli_option(c["args"], "--run-id") for c in first}
    if len(ids) != 1:
        problems.append(f"the tasks of one DAG run pass different run ids: {sorted(map(str, ids))}")
    if first != retry:
        problems.append("a retry issues another command line than the first try; its stage would not replace "
                        "its own rows")
    if ids & {_cli_option(c["args"], "--run-id") for c in other}:
        problems.append(f"two DAG runs pass the same run id {sorted(map(str, ids))}")
    return problems
