#!/usr/bin/env bash
# Standalone Kubeflow Pipelines: install, wait until the API answers, uninstall.
# Called by this module's terraform_data provisioners; every input comes from the environment:
#   KFP_VERSION, KFP_CONTEXT, KFP_TIMEOUT (seconds), KFP_NODE_PORT (optional),
#   KFP_RUNNER_ANNOTATIONS (optional, space-separated key=value), KFP_PIPELINE_ROOT and
#   KFP_PROVIDERS (optional: the kfp-launcher ConfigMap), KFP_OBJECT_STORE_SECRET and
#   KFP_OBJECT_STORE_ENDPOINT (optional: the pods' S3 credentials), KUBECONFIG (optional).
set -euo pipefail

readonly REPO="github.com/kubeflow/pipelines/manifests/kustomize"
readonly NS="kubeflow"
k() { kubectl --context "$KFP_CONTEXT" "$@"; }

cluster_scoped() {
  k apply -k "${REPO}/cluster-scoped-resources?ref=${KFP_VERSION}"
  k wait --for condition=established --timeout=120s crd/applications.app.k8s.io
}

environment() {
  k apply -k "${REPO}/env/platform-agnostic?ref=${KFP_VERSION}"
}

expose() {
  [[ -z "${KFP_NODE_PORT:-}" ]] && return 0
  k apply -f - <<YAML
apiVersion: v1
kind: Service
metadata:
  name: ml-pipeline-ui-nodeport
  namespace: ${NS}
spec:
  type: NodePort
  selector:
    app: ml-pipeline-ui
  ports:
    - name: http
      port: 80
      targetPort: 3000
      nodePort: ${KFP_NODE_PORT}
YAML
}

annotate_runner() {
  [[ -z "${KFP_RUNNER_ANNOTATIONS:-}" ]] && return 0
  # shellcheck disable=SC2086  # one argument per key=value on purpose
  k -n "$NS" annotate --overwrite serviceaccount pipeline-runner ${KFP_RUNNER_ANNOTATIONS}
}

# The launcher and driver of every run read kfp-launcher in the run's namespace: the default
# pipeline root, and the endpoint and credentials (a Secret reference) per object store scheme.
launcher_config() {
  [[ -z "${KFP_PIPELINE_ROOT:-}" && -z "${KFP_PROVIDERS:-}" ]] && return 0
  local args=()
  [[ -n "${KFP_PIPELINE_ROOT:-}" ]] && args+=("--from-literal=defaultPipelineRoot=${KFP_PIPELINE_ROOT}")
  [[ -n "${KFP_PROVIDERS:-}" ]] && args+=("--from-literal=providers=${KFP_PROVIDERS}")
  k -n "$NS" create configmap kfp-launcher "${args[@]}" --dry-run=client -o yaml | k apply -f -
}

# The Secret the pipelines' data-reading tasks take their S3 credentials from, as AWS_* variables
# (components/platform.py), filled from the MinIO Secret KFP deploys: the keys are copied inside
# the cluster, never through Terraform's state, and never on a command line.
object_store_secret() {
  [[ -z "${KFP_OBJECT_STORE_SECRET:-}" ]] && return 0
  local minio="secret/mlpipeline-minio-artifact"
  k -n "$NS" create secret generic "$KFP_OBJECT_STORE_SECRET" \
    --from-file=AWS_ACCESS_KEY_ID=<(k -n "$NS" get "$minio" -o jsonpath='{.data.accesskey}' | base64 -d) \
    --from-file=AWS_SECRET_ACCESS_KEY=<(k -n "$NS" get "$minio" -o jsonpath='{.data.secretkey}' | base64 -d) \
    --from-literal=AWS_ENDPOINT_URL="$KFP_OBJECT_STORE_ENDPOINT" \
    --dry-run=client -o yaml | k apply -f -
}

wait_ready() {
  local deadline=$((SECONDS + KFP_TIMEOUT))
  k -n "$NS" wait --for=condition=Available deployment --all --timeout="${KFP_TIMEOUT}s"
  local image
  image="$(k -n "$NS" get deployment ml-pipeline -o jsonpath='{.spec.template.spec.containers[0].image}')"
  if [[ "$image" != *":${KFP_VERSION}" ]]; then
    echo "ml-pipeline runs ${image}, expected tag ${KFP_VERSION}" >&2
    exit 1
  fi
  # The API server answers through the Kubernetes API proxy: nothing has to be exposed.
  until k get --raw "/api/v1/namespaces/${NS}/services/ml-pipeline:8888/proxy/apis/v2beta1/healthz" >/dev/null 2>&1; do
    if ((SECONDS >= deadline)); then
      echo "Kubeflow Pipelines API did not answer within ${KFP_TIMEOUT}s" >&2
      exit 1
    fi
    sleep 5
  done
  echo "Kubeflow Pipelines ${KFP_VERSION} answers in namespace ${NS} (context ${KFP_CONTEXT})"
}

uninstall() {
  k delete --ignore-not-found -n "$NS" service ml-pipeline-ui-nodeport
  k delete --ignore-not-found -k "${REPO}/env/platform-agnostic?ref=${KFP_VERSION}"
}

uninstall_cluster_scoped() {
  k delete --ignore-not-found -k "${REPO}/cluster-scoped-resources?ref=${KFP_VERSION}"
}

case "${1:-}" in
  cluster-scoped) cluster_scoped ;;
  install) environment && expose && annotate_runner && launcher_config && object_store_secret && wait_ready ;;
  uninstall) uninstall ;;
  uninstall-cluster-scoped) uninstall_cluster_scoped ;;
  *) echo "usage: $0 cluster-scoped|install|uninstall|uninstall-cluster-scoped" >&2 && exit 2 ;;
esac
