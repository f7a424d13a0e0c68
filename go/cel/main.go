// Command policyc-cel is policyc's bridge to Kubernetes' own CEL admission code: cel-go with the
// Kubernetes CEL environment (k8s.io/apiserver/pkg/cel/environment) and the API server's
// ValidatingAdmissionPolicy validator, matcher and match conditions, all from Debian's sources.
//
// Requests and answers are JSON (package protocol). Built for GOOS=wasip1 as a reactor
// (reactor.go) policyc calls it in-process from Node; built natively (native.go) the same code
// answers a file of requests, which policyc's tests use as the oracle the WASI build is compared with.
package main

import (
	"encoding/json"
	"fmt"
	"strings"

	"k8s.io/apiserver/pkg/cel/environment"

	"policyc/cel/policy"
	"policyc/cel/protocol"
)

// store holds the compiled policies for the life of the module.
var store = policy.NewStore()

// handle answers one request; a panic becomes an internal error, never a crash of the host.
func handle(raw []byte) (out protocol.Response) {
	defer func() {
		if r := recover(); r != nil {
			out = protocol.Fail(protocol.Internal, "panic: %v", r)
		}
	}()
	var req protocol.Request
	if err := json.Unmarshal(raw, &req); err != nil {
		return protocol.Fail(protocol.BadRequest, "request: %v", err)
	}
	switch strings.ToLower(req.Op) {
	case "compile":
		return store.Compile(&req)
	case "evaluate":
		return store.Evaluate(&req)
	case "compile-mutating":
		return store.CompileMutating(&req)
	case "mutate":
		return store.Mutate(&req)
	case "compile-authz":
		return store.CompileAuthz(&req)
	case "authorize":
		return store.Authorize(&req)
	case "expr":
		return policy.Expr(&req)
	case "release":
		// The host is done with a policy: its programs can be collected.
		store.Release(req.ID)
		return protocol.Response{OK: true}
	case "cluster":
		return store.SetCluster(&req)
	case "forget-cluster":
		store.ForgetCluster(req.ID)
		return protocol.Response{OK: true}
	case "stats":
		return store.Stats()
	case "version":
		return protocol.Response{OK: true, Value: json.RawMessage(fmt.Sprintf("%q", environment.DefaultCompatibilityVersion().String()))}
	}
	return protocol.Fail(protocol.BadRequest, "unknown op %s", req.Op)
}
