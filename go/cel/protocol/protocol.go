// Package protocol is the wire format between policyc (Node) and its CEL engine: the JSON
// requests the host sends and the answers it gets. src/engines/cel/protocol.ts is the other half.
package protocol

import (
	"encoding/json"
	"fmt"
)

// Request is one call from the host. Op says which fields are read:
//   - compile: ID, Policy, Bindings, Kyverno
//   - compile-mutating: ID, Policy (a MutatingAdmissionPolicy), Bindings, Kyverno
//   - compile-authz: ID, Policy (a ValidatingPolicy in HTTP or Envoy mode)
//   - authorize: ID, Admission (its Object the HTTP or Envoy payload); Value is the decision
//   - mutate: ID, Admission and/or AdmissionKey; the answer's Value is the mutated object
//   - evaluate: ID, Admission and/or AdmissionKey (and Bindings, to evaluate with others than those compiled)
//   - release: ID
//   - cluster: ID, Objects (the objects of a cluster, which evaluate requests name by ID)
//   - forget-cluster: ID
//   - expr: Expression, Vars
//   - stats, version: nothing
type Request struct {
	Op     string          `json:"op"`
	ID     string          `json:"id,omitempty"`
	Policy json.RawMessage `json:"policy,omitempty"`
	// Kyverno: compile with Kyverno's CEL libraries as well.
	Kyverno   bool              `json:"kyverno,omitempty"`
	Bindings  []json.RawMessage `json:"bindings,omitempty"`
	Admission *Admission        `json:"admission,omitempty"`
	// AdmissionKey: with Admission, hold it decoded under this key (the previous one is dropped);
	// alone, evaluate on the admission held under it (unknown_admission when it is not).
	AdmissionKey string                     `json:"admissionKey,omitempty"`
	Expression   string                     `json:"expression,omitempty"`
	Vars         map[string]json.RawMessage `json:"vars,omitempty"`
	// Objects of a cluster registered once (op cluster), for params and lookups.
	Objects []json.RawMessage `json:"objects,omitempty"`
	// Exceptions (evaluate, Kyverno policies): what matched PolicyExceptions allow, as `exceptions`.
	Exceptions *ExceptionValues `json:"exceptions,omitempty"`
}

// ExceptionValues are the `images` and `allowedValues` of the PolicyExceptions that matched a
// request: Kyverno then evaluates the policy with them as `exceptions` instead of exempting it.
type ExceptionValues struct {
	AllowedImages []string `json:"allowedImages,omitempty"`
	AllowedValues []string `json:"allowedValues,omitempty"`
}

type GVK struct {
	Group   string `json:"group"`
	Version string `json:"version"`
	Kind    string `json:"kind"`
}

type GVR struct {
	Group    string `json:"group"`
	Version  string `json:"version"`
	Resource string `json:"resource"`
}

// AuthzAnswer is one answer of the test authorizer: the attributes it covers (nil: any) and its decision.
type AuthzAnswer struct {
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

type UserInfo struct {
	Username string              `json:"username,omitempty"`
	UID      string              `json:"uid,omitempty"`
	Groups   []string            `json:"groups,omitempty"`
	Extra    map[string][]string `json:"extra,omitempty"`
}

// Admission is the admission request the API server's code sees.
type Admission struct {
	Operation   string            `json:"operation"`
	Kind        GVK               `json:"kind"`
	Resource    GVR               `json:"resource"`
	Subresource string            `json:"subresource,omitempty"`
	Name        string            `json:"name,omitempty"`
	Namespace   string            `json:"namespace,omitempty"`
	Object      json.RawMessage   `json:"object,omitempty"`
	OldObject   json.RawMessage   `json:"oldObject,omitempty"`
	DryRun      bool              `json:"dryRun,omitempty"`
	UserInfo    *UserInfo         `json:"userInfo,omitempty"`
	Namespaces  []json.RawMessage `json:"namespaces,omitempty"`
	Params      []json.RawMessage `json:"params,omitempty"`
	// Cluster names objects registered with op cluster, read instead of Params.
	Cluster    string        `json:"cluster,omitempty"`
	Authorizer []AuthzAnswer `json:"authorizer,omitempty"`
	// Kyverno: what a Kyverno CLI test's Context file gives the CEL libraries.
	Kyverno *KyvernoContext `json:"kyverno,omitempty"`
	// FloatNumbers: every number of the objects is a double, as the Kyverno CLI's test command
	// reads its resources (it converts them to float64).
	FloatNumbers bool `json:"floatNumbers,omitempty"`
}

// KyvernoContext is what a Kyverno CLI test's Context file gives Kyverno's CEL libraries.
type KyvernoContext struct {
	// Resources, when the test has a Context file, are the objects resource.Get and List see.
	Resources     []json.RawMessage `json:"resources,omitempty"`
	Images        []map[string]any  `json:"images,omitempty"`
	GlobalContext []GlobalEntry     `json:"globalContext,omitempty"`
	HTTP          []HTTPStub        `json:"http,omitempty"`
}

type GlobalEntry struct {
	Name       string `json:"name"`
	Projection string `json:"projection,omitempty"`
	Value      any    `json:"value,omitempty"`
}

type HTTPStub struct {
	Method  string            `json:"method"`
	URL     string            `json:"url"`
	Status  int               `json:"status,omitempty"`
	Headers map[string]string `json:"headers,omitempty"`
	Body    any               `json:"body,omitempty"`
}

// Problem is a compile error of one field of a policy (spec.validations[0].expression).
type Problem struct {
	Field   string `json:"field"`
	Message string `json:"message"`
}

type Decision struct {
	Action     string `json:"action"`
	Evaluation string `json:"evaluation,omitempty"`
	Message    string `json:"message,omitempty"`
	Reason     string `json:"reason,omitempty"`
}

type Annotation struct {
	Key    string `json:"key"`
	Value  string `json:"value,omitempty"`
	Action string `json:"action"`
	Error  string `json:"error,omitempty"`
}

type BindingResult struct {
	Binding           string       `json:"binding"`
	Matched           bool         `json:"matched"`
	ValidationActions []string     `json:"validationActions,omitempty"`
	Decisions         []Decision   `json:"decisions,omitempty"`
	AuditAnnotations  []Annotation `json:"auditAnnotations,omitempty"`
	Error             string       `json:"error,omitempty"`
}

// Code says why a request failed; the host reads codes, never messages.
type Code string

const (
	// BadRequest: the request is not one the engine reads (the host's bug).
	BadRequest Code = "bad_request"
	// UnknownPolicy: evaluate of an id never compiled, or released.
	UnknownPolicy Code = "unknown_policy"
	// UnknownAdmission: evaluate naming an admission key that is not the one held.
	UnknownAdmission Code = "unknown_admission"
	// InvalidDocument: the policy, a binding or an object does not decode as its Kubernetes type.
	InvalidDocument Code = "invalid_document"
	// CompileError: CEL that does not compile (Problems name each field).
	CompileError Code = "compile_error"
	// EvaluationError: an expression failed at run time.
	EvaluationError Code = "evaluation_error"
	// Internal: a panic in the engine, recovered.
	Internal Code = "internal"
)

// Error is a failed request's code and message.
type Error struct {
	Code    Code   `json:"code"`
	Message string `json:"message"`
}

func (e *Error) Error() string { return string(e.Code) + ": " + e.Message }

// Response is the answer to one request.
type Response struct {
	OK       bool            `json:"ok"`
	Error    *Error          `json:"error,omitempty"`
	Problems []Problem       `json:"problems,omitempty"`
	Matched  *bool           `json:"matched,omitempty"`
	Bindings []BindingResult `json:"bindings,omitempty"`
	Value    json.RawMessage `json:"value,omitempty"`
	Type     string          `json:"type,omitempty"`
}

// Fail is the answer of a request that failed.
func Fail(code Code, format string, args ...any) Response {
	return Response{Error: &Error{Code: code, Message: fmt.Sprintf(format, args...)}}
}

// Quote is a string as a JSON string literal.
func Quote(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}
