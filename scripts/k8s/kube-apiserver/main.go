// kube-apiserver, as cmd/kube-apiserver of k8s.io/kubernetes builds it, for the Helm chart's tests:
// a real API server (strict field validation, CRDs, admission) with no kubelet behind it.
package main

import (
	"os"

	"k8s.io/component-base/cli"
	"k8s.io/kubernetes/cmd/kube-apiserver/app"
)

func main() {
	os.Exit(cli.Run(app.NewAPIServerCommand()))
}
