// Package main is policyc's bridge to Kubernetes' own CEL admission code: cel-go with the
// Kubernetes CEL environment (k8s.io/apiserver/pkg/cel/environment) and the API server's
// ValidatingAdmissionPolicy validator, matcher and match conditions, all from Debian's sources.
//
// Requests and answers are JSON. Built for GOOS=wasip1 as a reactor (reactor.go) policyc calls it
// in-process from Node; built natively (native.go) the same code answers a file of requests, which
// policyc's tests use as the oracle the WASI build is compared with.

package main

import (
	"encoding/json"
	"fmt"
	"strings"

	admissionv1 "k8s.io/api/admission/v1"
	"k8s.io/apiserver/pkg/cel/environment"
)

func strconvQuote(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

type request struct {
	Op string `json:"op"`
	// compile
	ID     string          `json:"id,omitempty"`
	Policy json.RawMessage `json:"policy,omitempty"`
	// Kyverno: compile with Kyverno's CEL libraries (kyverno.go) as well.
	Kyverno bool `json:"kyverno,omitempty"`
	// evaluate
	Bindings  []json.RawMessage `json:"bindings,omitempty"`
	Admission *admissionInput   `json:"admission,omitempty"`
	// expr
	Expression string                     `json:"expression,omitempty"`
	Vars       map[string]json.RawMessage `json:"vars,omitempty"`
}

type gvk struct {
	Group   string `json:"group"`
	Version string `json:"version"`
	Kind    string `json:"kind"`
}

type gvr struct {
	Group    string `json:"group"`
	Version  string `json:"version"`
	Resource string `json:"resource"`
}

type authzAnswer struct {
	Group       *string `json:"group,omitempty"`
	Resource    *string `json:"resource,omitempty"`
	Subresource *string `json:"subresource,omitempty"`
	Namespace   *string `json:"namespace,omitempty"`
	Name        *string `json:"name,omitempty"`
	Verb        *string `json:"verb,omitempty"`
	Path        *string `json:"path,omitempty"`
	Allowed     bool    `json:"allowed"`
	Reason      string  `json:"reason,omitempty"`
}

type admissionInput struct {
	Operation   string              `json:"operation"`
	Kind        gvk                 `json:"kind"`
	Resource    gvr                 `json:"resource"`
	Subresource string              `json:"subresource,omitempty"`
	Name        string              `json:"name,omitempty"`
	Namespace   string              `json:"namespace,omitempty"`
	Object      json.RawMessage     `json:"object,omitempty"`
	OldObject   json.RawMessage     `json:"oldObject,omitempty"`
	DryRun      bool                `json:"dryRun,omitempty"`
	UserInfo    *userInfo           `json:"userInfo,omitempty"`
	Namespaces  []json.RawMessage   `json:"namespaces,omitempty"`
	Params      []json.RawMessage   `json:"params,omitempty"`
	Authorizer  []authzAnswer       `json:"authorizer,omitempty"`
	// Kyverno: what a Kyverno CLI test's Context file gives the CEL libraries.
	Kyverno *kyvernoContext `json:"kyverno,omitempty"`
}

type userInfo struct {
	Username string              `json:"username,omitempty"`
	UID      string              `json:"uid,omitempty"`
	Groups   []string            `json:"groups,omitempty"`
	Extra    map[string][]string `json:"extra,omitempty"`
}

type problem struct {
	Field   string `json:"field"`
	Message string `json:"message"`
}

type decision struct {
	Action     string `json:"action"`
	Evaluation string `json:"evaluation,omitempty"`
	Message    string `json:"message,omitempty"`
	Reason     string `json:"reason,omitempty"`
}

type annotation struct {
	Key    string `json:"key"`
	Value  string `json:"value,omitempty"`
	Action string `json:"action"`
	Error  string `json:"error,omitempty"`
}

type bindingResult struct {
	Binding           string       `json:"binding"`
	Matched           bool         `json:"matched"`
	ValidationActions []string     `json:"validationActions,omitempty"`
	Decisions         []decision   `json:"decisions,omitempty"`
	AuditAnnotations  []annotation `json:"auditAnnotations,omitempty"`
	Error             string       `json:"error,omitempty"`
}

type response struct {
	OK       bool            `json:"ok"`
	Error    string          `json:"error,omitempty"`
	Problems []problem       `json:"problems,omitempty"`
	Matched  *bool           `json:"matched,omitempty"`
	Bindings []bindingResult `json:"bindings,omitempty"`
	Value    json.RawMessage `json:"value,omitempty"`
	Type     string          `json:"type,omitempty"`
}

func handle(raw []byte) (out response) {
	defer func() {
		if r := recover(); r != nil {
			out = response{Error: fmt.Sprintf("panic: %v", r)}
		}
	}()
	var req request
	if err := json.Unmarshal(raw, &req); err != nil {
		return response{Error: "request: " + err.Error()}
	}
	switch strings.ToLower(req.Op) {
	case "compile":
		return doCompile(&req)
	case "evaluate":
		return doEvaluate(&req)
	case "expr":
		return doExpr(&req)
	case "release":
		// The host is done with a policy: its programs can be collected.
		release(req.ID)
		return response{OK: true}
	case "stats":
		return response{OK: true, Value: json.RawMessage(fmt.Sprintf(`{"policies":%d,"shared":%d,"sharedHits":%d,"compositions":%d,"compositionHits":%d,"memoHits":%d}`,
			len(policies), shared.len(), sharedHits, compositions.len(), compositionHits, memoHits))}
	case "version":
		return response{OK: true, Value: json.RawMessage(`"` + environment.DefaultCompatibilityVersion().String() + `"`)}
	}
	return response{Error: "unknown op " + req.Op}
}

var _ = admissionv1.AdmissionRequest{}
