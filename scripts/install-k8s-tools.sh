#!/usr/bin/env bash
# Builds the Kubernetes tooling the Helm chart's tests (HelmChartIT) run, from the Go module proxy
# only, once per version, into $cache/k8s-tools/<tool>-<version>/, and prints "TOOL PATH" per tool:
#   helm-<v>/helm                        helm.sh/helm/v3/cmd/helm
#   kube-apiserver-<v>-<key>/kube-apiserver  the wrapper module in scripts/k8s/kube-apiserver (key:
#                                        its files and build flags, so a changed wrapper builds anew)
#   kine-<v>/kine                        github.com/k3s-io/kine (etcd's API on SQLite; needs cgo)
#   prometheus-operator-crd-<v>/*.yaml   the Prometheus Operator's CRDs, from its Go module
# No kubelet, container runtime or etcd: the tests need an API server, not a cluster.
# install-k8s-tools.sh [TOOL...] builds only those (helm kube-apiserver kine crds). Safe to run
# concurrently (one flock per tool) and repeatedly (a finished tool has a .complete marker).
# About 2 (helm), 3.5 (kube-apiserver) and 2 (kine) minutes on 2 free cores with a cold Go cache; 10, 27
# and 17 minutes when all three were built at once on 2 cores shared with seven other busy sessions.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
cache=${HUBPROBE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/hubprobe}
tools="$cache/k8s-tools"
HELM_VERSION=v3.22.0
KUBERNETES_VERSION=v1.34.2   # also in scripts/k8s/kube-apiserver/go.mod
KINE_VERSION=v0.17.5
PROMETHEUS_OPERATOR_VERSION=v0.90.1

GO_TOOLCHAIN=go1.26.8        # what helm and kine need (their go.mod: 1.26.0, 1.26.5)
mkdir -p "$tools"
# modules from the module proxy only: never the "direct" fallback to version control
GOPROXY=$( (go env GOPROXY 2>/dev/null || /usr/local/go/bin/go env GOPROXY 2>/dev/null) | sed -E 's/[,|]direct$//')
[[ -n "$GOPROXY" && "$GOPROXY" != direct && "$GOPROXY" != off ]] && export GOPROXY || unset GOPROXY

go=$(command -v go || true)
[[ -n "$go" ]] || { [[ -x /usr/local/go/bin/go ]] && go=/usr/local/go/bin/go; }
[[ -n "$go" ]] || { echo "install-k8s-tools: go not found (scripts/setup-machine.sh installs one)" >&2; exit 1; }
# Go 1.21+ fetches the toolchain a module needs by itself (GOTOOLCHAIN=auto, from the module proxy).
# An older go (Debian 12's is 1.19) cannot: the same toolchain module is fetched here, as a module.
if ! "$go" version | grep -qE 'go1\.(2[1-9]|[3-9][0-9])'; then
  exec 9>"$tools/.go.lock"
  flock 9
  gotc="$tools/$GO_TOOLCHAIN"
  if [[ ! -f "$gotc/.complete" ]]; then
    arch=$(uname -m); case "$arch" in x86_64) arch=amd64 ;; aarch64) arch=arm64 ;; esac
    src=$(cd "$tools" && GO111MODULE=on "$go" mod download -json "golang.org/toolchain@v0.0.1-$GO_TOOLCHAIN.linux-$arch" \
      | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')
    rm -rf "$gotc.partial" && cp -r "$src" "$gotc.partial" && chmod -R u+w "$gotc.partial"
    # a module zip keeps no file modes
    chmod +x "$gotc.partial"/bin/* "$gotc.partial"/pkg/tool/*/*
    touch "$gotc.partial/.complete" && rm -rf "$gotc" && mv "$gotc.partial" "$gotc"
  fi
  exec 9>&-
  go="$gotc/bin/go"
  export GOTOOLCHAIN=local
else
  # The pinned toolchain (the local go when it is that one, else fetched from the module proxy), not
  # whatever the environment or the distribution's go.env says: Homebrew, Fedora and Microsoft's Go ship
  # GOTOOLCHAIN=local, with which a go older than helm's go.mod needs refuses to build at all
  export GOTOOLCHAIN="$GO_TOOLCHAIN+auto"
fi

# build NAME DEST COMMAND...: runs COMMAND with $out (an empty scratch folder) once, under a lock,
# and moves $out to DEST only when it succeeded, so a killed build never looks finished
build() {
  local name=$1 dest=$2; shift 2
  exec 9>"$tools/.$name.lock"
  flock 9
  if [[ ! -f "$dest/.complete" ]]; then
    local start=$SECONDS
    echo "install-k8s-tools: building $(basename "$dest") (minutes on a cold Go cache)" >&2
    out="$dest.partial"
    rm -rf "$out" "$dest"
    mkdir -p "$out"
    "$@" >&2
    touch "$out/.complete"
    mv "$out" "$dest"
    echo "install-k8s-tools: $(basename "$dest") built in $((SECONDS - start)) s" >&2
  fi
  exec 9>&-
}

# the ldflags helm's own Makefile sets: its version, and the Kubernetes version of its client-go
# (helm template's and lint's default cluster version; without it helm assumes v1.20)
build_helm() {
  local cg minor
  cg=$("$go" mod download -json "helm.sh/helm/v3@$HELM_VERSION" | sed -n 's/^[[:space:]]*"GoMod": "\(.*\)",$/\1/p')
  minor=$(sed -n 's#^[[:space:]]*k8s.io/client-go v0\.\([0-9]*\)\..*#\1#p' "$cg")
  [[ -n "$minor" ]] || { echo "install-k8s-tools: no client-go version in helm's go.mod" >&2; return 1; }
  local pkg=helm.sh/helm/v3
  GOBIN="$out" CGO_ENABLED=0 "$go" install -ldflags "-w -s -X $pkg/internal/version.version=$HELM_VERSION \
    -X $pkg/internal/version.gitTreeState=clean \
    -X $pkg/pkg/lint/rules.k8sVersionMajor=1 -X $pkg/pkg/lint/rules.k8sVersionMinor=$minor \
    -X $pkg/pkg/chartutil.k8sVersionMajor=1 -X $pkg/pkg/chartutil.k8sVersionMinor=$minor" \
    "helm.sh/helm/v3/cmd/helm@$HELM_VERSION"
}
build_kine() { GOBIN="$out" CGO_ENABLED=1 "$go" install "github.com/k3s-io/kine@$KINE_VERSION"; }
# the version ldflags Kubernetes' own build sets: the server reports it at /version, and helm checks a
# chart's kubeVersion against it (unset, it is v0.0.0)
build_apiserver() {
  local v=k8s.io/component-base/version minor=${KUBERNETES_VERSION#v1.}
  minor=${minor%%.*}
  (cd "$here/k8s/kube-apiserver" && CGO_ENABLED=0 "$go" build -mod=readonly -trimpath \
    -ldflags "-X $v.gitVersion=$KUBERNETES_VERSION -X $v.gitMajor=1 -X $v.gitMinor=$minor -X $v.gitTreeState=clean" \
    -o "$out/kube-apiserver" .)
}
build_crds() {
  local dir
  dir=$("$go" mod download -json "github.com/prometheus-operator/prometheus-operator@$PROMETHEUS_OPERATOR_VERSION" \
    | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')
  [[ -d "$dir/example/prometheus-operator-crd" ]] || { echo "install-k8s-tools: no CRDs in $dir" >&2; return 1; }
  cp "$dir"/example/prometheus-operator-crd/*.yaml "$out/"
  chmod u+w "$out"/*.yaml
}

apiserver_key=$( (cat "$here/k8s/kube-apiserver/go.mod" "$here/k8s/kube-apiserver/go.sum" "$here/k8s/kube-apiserver/main.go"
  declare -f build_apiserver) | sha256sum | cut -c1-12)
(($#)) || set -- helm kube-apiserver kine crds
for tool in "$@"; do
  case "$tool" in
    helm) dest="$tools/helm-$HELM_VERSION" path=helm fn=build_helm ;;
    kube-apiserver) dest="$tools/kube-apiserver-$KUBERNETES_VERSION-$apiserver_key" path=kube-apiserver fn=build_apiserver ;;
    kine) dest="$tools/kine-$KINE_VERSION" path=kine fn=build_kine ;;
    crds) dest="$tools/prometheus-operator-crd-$PROMETHEUS_OPERATOR_VERSION" path= fn=build_crds ;;
    *) echo "install-k8s-tools: unknown tool $tool (helm kube-apiserver kine crds)" >&2; exit 1 ;;
  esac
  build "$tool" "$dest" "$fn"
  echo "$tool $dest${path:+/$path}"
done
