"""Builds, with dagster-k8s itself, the Job a K8sRunLauncher would create for one run of
the bandit-pipeline location, from the container context the code-server Deployment
carries. Reads {"context": {...}, "entry_point": [...], "image": "..."} on stdin and
prints the run pod's container and pod spec as JSON (Kubernetes field names)."""
import json
import sys

from dagster_k8s.container_context import K8sContainerContext
from dagster_k8s.job import DagsterK8sJobConfig, construct_dagster_k8s_job
from kubernetes.client import ApiClient

req = json.load(sys.stdin)
ctx = K8sContainerContext.create_from_config(req["context"])
config = DagsterK8sJobConfig(
    job_image=req["image"],
    dagster_home="/tmp/dagster",
    instance_config_map="dagster-instance",
    postgres_password_secret="dagster-postgresql-secret",
)
args = [*req["entry_point"], "api", "execute_run", "{}"]
job = construct_dagster_k8s_job(config, args, "dagster-run-test", user_defined_k8s_config=ctx.run_k8s_config)
spec = ApiClient().sanitize_for_serialization(job.spec.template.spec)
json.dump({"namespace": ctx.namespace, "pod": spec}, sys.stdout)
