// Package main is policyc's bridge to Kubernetes' own CEL admission code: cel-go with the
// Kubernetes CEL environment (k8s.io/apiserver/pkg/cel/environment) and the API server's
// ValidatingAdmissionPolicy validator, matcher and match conditions, all from Debian's sources.
//
// Requests and answers are JSON. Built for GOOS=wasip1 as a reactor (reactor.go) policyc calls it
// in-process from Node; built natively (native.go) the same code answers a file of requests, which
// policyc's tests use as the oracle the WASI build is compared with.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	admissionv1 "k8s.io/api/admission/v1"
	v1 "k8s.io/api/admissionregistration/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	utiljson "k8s.io/apimachinery/pkg/util/json"
	"k8s.io/apiserver/pkg/admission"
	"k8s.io/apiserver/pkg/admission/plugin/cel"
	"k8s.io/apiserver/pkg/admission/plugin/policy/generic"
	"k8s.io/apiserver/pkg/admission/plugin/policy/matching"
	"k8s.io/apiserver/pkg/admission/plugin/policy/validating"
	"k8s.io/apiserver/pkg/admission/plugin/webhook/matchconditions"
	celconfig "k8s.io/apiserver/pkg/apis/cel"
	"k8s.io/apiserver/pkg/authentication/user"
	"k8s.io/apiserver/pkg/authorization/authorizer"
	"k8s.io/apiserver/pkg/cel/environment"
	corelisters "k8s.io/client-go/listers/core/v1"

	celgo "cel.dev/cel-go/cel"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
	"k8s.io/apimachinery/pkg/util/version"
)

func strconvQuote(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

// ---------------------------------------------------------------- requests and answers

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

// ---------------------------------------------------------------- compiled policies

type compiled struct {
	policy    *v1.ValidatingAdmissionPolicy
	validator validating.Validator
	// The bindings sent with compile, decoded and defaulted once; an evaluate request may send
	// its own instead.
	bindings []*v1.ValidatingAdmissionPolicyBinding
}

// sharedObjectInterfaces: the (empty) scheme the admission attributes need, built once.
var sharedObjectInterfaces = admission.NewObjectInterfacesFromScheme(runtime.NewScheme())

// namespaceCache holds decoded Namespace objects by their JSON: a run sends the same few
// namespaces with every request. Cleared when it grows past a bound.
var namespaceCache = map[string]*corev1.Namespace{}

func decodeNamespace(raw json.RawMessage) (*corev1.Namespace, error) {
	if ns, ok := namespaceCache[string(raw)]; ok {
		return ns, nil
	}
	var ns corev1.Namespace
	if err := json.Unmarshal(raw, &ns); err != nil {
		return nil, err
	}
	if ns.Labels == nil {
		ns.Labels = map[string]string{}
	}
	ns.Labels["kubernetes.io/metadata.name"] = ns.Name
	if len(namespaceCache) > 1000 {
		namespaceCache = map[string]*corev1.Namespace{}
	}
	namespaceCache[string(raw)] = &ns
	return &ns, nil
}

func decodeBindings(raws []json.RawMessage) ([]*v1.ValidatingAdmissionPolicyBinding, error) {
	out := make([]*v1.ValidatingAdmissionPolicyBinding, 0, len(raws))
	for _, raw := range raws {
		var b v1.ValidatingAdmissionPolicyBinding
		if err := json.Unmarshal(raw, &b); err != nil {
			return nil, err
		}
		defaultBinding(&b)
		out = append(out, &b)
	}
	return out, nil
}

var policies = map[string]*compiled{}

func envSet() *environment.EnvSet {
	return environment.MustBaseEnvSet(environment.DefaultCompatibilityVersion())
}

// recordingConditions compiles conditions the way the API server's condition compiler does
// (each expression once, nil accessors skipped) and records each compile error under its field
// name (spec.validations[0].expression), the way the API server's validation of a policy names
// it — so no second pass type-checks every expression again just to name its errors.
type recordingConditions struct {
	compiler cel.Compiler
	format   string // the field name of accessor i: fmt.Sprintf(format, i)
	errors   map[string]string
}

func (r *recordingConditions) CompileCondition(accessors []cel.ExpressionAccessor, options cel.OptionalVariableDeclarations, mode environment.Type) cel.ConditionEvaluator {
	results := make([]cel.CompilationResult, len(accessors))
	for i, a := range accessors {
		if a == nil {
			continue
		}
		results[i] = r.compiler.CompileCELExpression(a, options, mode)
		if results[i].Error != nil {
			r.errors[fmt.Sprintf(r.format, i)] = results[i].Error.Detail
		}
	}
	return cel.NewCondition(results)
}

// compile compiles accessors through the composited compiler (which calls the recorder),
// naming accessor i by format.
func (r *recordingConditions) compile(c *cel.CompositedCompiler, format string, accessors []cel.ExpressionAccessor, options cel.OptionalVariableDeclarations) cel.ConditionEvaluator {
	r.format = format
	return c.CompileCondition(accessors, options, environment.StoredExpressions)
}

// compilePolicy mirrors the API server's compilePolicy (validating/plugin.go), which is unexported:
// variables, match conditions, validations, audit annotations and message expressions compiled
// in one composited environment with the policy's optional variables. Compile errors come back
// in the order the fields appear in the policy.
func compilePolicy(policy *v1.ValidatingAdmissionPolicy, env *environment.EnvSet) (validating.Validator, []problem) {
	hasParam := policy.Spec.ParamKind != nil
	optionalVars := cel.OptionalVariableDeclarations{HasParams: hasParam, HasAuthorizer: true}
	expressionOptionalVars := cel.OptionalVariableDeclarations{HasParams: hasParam, HasAuthorizer: false}
	failurePolicy := policy.Spec.FailurePolicy
	compiler, err := cel.NewCompositedCompiler(env)
	if err != nil {
		return nil, []problem{{Field: "spec", Message: err.Error()}}
	}
	rec := &recordingConditions{compiler: compiler.Compiler, errors: map[string]string{}}
	compiler.ConditionCompiler = rec
	for i := range policy.Spec.Variables {
		v := &validating.Variable{Name: policy.Spec.Variables[i].Name, Expression: policy.Spec.Variables[i].Expression}
		if r := compiler.CompileAndStoreVariable(v, optionalVars, environment.StoredExpressions); r.Error != nil {
			rec.errors[fmt.Sprintf("spec.variables[%d].expression", i)] = r.Error.Detail
		}
	}

	var matcher matchconditions.Matcher
	if n := len(policy.Spec.MatchConditions); n > 0 {
		accessors := make([]cel.ExpressionAccessor, n)
		for i := range policy.Spec.MatchConditions {
			accessors[i] = (*matchconditions.MatchCondition)(&policy.Spec.MatchConditions[i])
		}
		matcher = matchconditions.NewMatcher(rec.compile(compiler, "spec.matchConditions[%d].expression", accessors, optionalVars), failurePolicy, "policy", "validate", policy.Name)
	}
	validations := make([]cel.ExpressionAccessor, len(policy.Spec.Validations))
	messages := make([]cel.ExpressionAccessor, len(policy.Spec.Validations))
	for i, v := range policy.Spec.Validations {
		validations[i] = &validating.ValidationCondition{Expression: v.Expression, Message: v.Message, Reason: v.Reason}
		if v.MessageExpression != "" {
			messages[i] = &validating.MessageExpressionCondition{MessageExpression: v.MessageExpression}
		}
	}
	annotations := make([]cel.ExpressionAccessor, len(policy.Spec.AuditAnnotations))
	for i, a := range policy.Spec.AuditAnnotations {
		annotations[i] = &validating.AuditAnnotationCondition{Key: a.Key, ValueExpression: a.ValueExpression}
	}
	validator := validating.NewValidator(
		rec.compile(compiler, "spec.validations[%d].expression", validations, optionalVars),
		matcher,
		rec.compile(compiler, "spec.auditAnnotations[%d].valueExpression", annotations, optionalVars),
		rec.compile(compiler, "spec.validations[%d].messageExpression", messages, expressionOptionalVars),
		failurePolicy,
		nil,
	)

	// The recorded errors, in the policy's field order.
	var fields []string
	for i := range policy.Spec.Variables {
		fields = append(fields, fmt.Sprintf("spec.variables[%d].expression", i))
	}
	for i := range policy.Spec.MatchConditions {
		fields = append(fields, fmt.Sprintf("spec.matchConditions[%d].expression", i))
	}
	for i := range policy.Spec.Validations {
		fields = append(fields, fmt.Sprintf("spec.validations[%d].expression", i), fmt.Sprintf("spec.validations[%d].messageExpression", i))
	}
	for i := range policy.Spec.AuditAnnotations {
		fields = append(fields, fmt.Sprintf("spec.auditAnnotations[%d].valueExpression", i))
	}
	var problems []problem
	for _, f := range fields {
		if msg, ok := rec.errors[f]; ok {
			problems = append(problems, problem{Field: f, Message: msg})
		}
	}
	return validator, problems
}

// The API server's defaults for what a policy file may leave out (admissionregistration/v1
// SetDefaults: failurePolicy Fail; matchPolicy Equivalent; empty namespace and object selectors,
// which match everything; rule scope "*"), applied as the API server applies them on create.
func defaultMatchResources(m *v1.MatchResources) {
	if m == nil {
		return
	}
	if m.NamespaceSelector == nil {
		m.NamespaceSelector = &metav1.LabelSelector{}
	}
	if m.ObjectSelector == nil {
		m.ObjectSelector = &metav1.LabelSelector{}
	}
	if m.MatchPolicy == nil {
		p := v1.Equivalent
		m.MatchPolicy = &p
	}
	for _, rules := range [][]v1.NamedRuleWithOperations{m.ResourceRules, m.ExcludeResourceRules} {
		for i := range rules {
			if rules[i].Scope == nil {
				s := v1.AllScopes
				rules[i].Scope = &s
			}
		}
	}
}

func defaultPolicy(p *v1.ValidatingAdmissionPolicy) {
	if p.Spec.FailurePolicy == nil {
		f := v1.Fail
		p.Spec.FailurePolicy = &f
	}
	if p.Spec.MatchConstraints == nil {
		p.Spec.MatchConstraints = &v1.MatchResources{}
	}
	defaultMatchResources(p.Spec.MatchConstraints)
}

func defaultBinding(b *v1.ValidatingAdmissionPolicyBinding) {
	defaultMatchResources(b.Spec.MatchResources)
	if b.Spec.ParamRef != nil && b.Spec.ParamRef.ParameterNotFoundAction == nil {
		a := v1.DenyAction
		b.Spec.ParamRef.ParameterNotFoundAction = &a
	}
}

func doCompile(req *request) response {
	var policy v1.ValidatingAdmissionPolicy
	if err := json.Unmarshal(req.Policy, &policy); err != nil {
		return response{Error: "policy: " + err.Error()}
	}
	defaultPolicy(&policy)
	env := envSet()
	if req.Kyverno {
		env = kyvernoEnvSet()
	}
	bindings, err := decodeBindings(req.Bindings)
	if err != nil {
		return response{Error: "binding: " + err.Error()}
	}
	validator, problems := compilePolicy(&policy, env)
	policies[req.ID] = &compiled{policy: &policy, validator: validator, bindings: bindings}
	return response{OK: len(problems) == 0, Problems: problems}
}

// ---------------------------------------------------------------- evaluation

// namespaces answers the matcher's namespace lookups from the request's namespace objects. A
// namespace not given exists with only the label the API server sets on every namespace
// (kubernetes.io/metadata.name), so policies see a real cluster's minimum.
type namespaces map[string]*corev1.Namespace

func (n namespaces) get(name string) *corev1.Namespace {
	if ns, ok := n[name]; ok {
		return ns
	}
	return &corev1.Namespace{
		TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: "Namespace"},
		ObjectMeta: metav1.ObjectMeta{Name: name, Labels: map[string]string{"kubernetes.io/metadata.name": name}},
	}
}
func (n namespaces) List(selector labels.Selector) ([]*corev1.Namespace, error) {
	var out []*corev1.Namespace
	for _, ns := range n {
		if selector.Matches(labels.Set(ns.Labels)) {
			out = append(out, ns)
		}
	}
	return out, nil
}
func (n namespaces) Get(name string) (*corev1.Namespace, error) {
	if name == "" {
		return nil, apierrors.NewNotFound(schema.GroupResource{Resource: "namespaces"}, name)
	}
	return n.get(name), nil
}

var _ corelisters.NamespaceLister = namespaces{}

func decodeObject(raw json.RawMessage) (*unstructured.Unstructured, error) {
	if len(raw) == 0 || string(raw) == "null" {
		return nil, nil
	}
	var m map[string]interface{}
	// The API server's JSON decoding: whole numbers become int64, as CEL's int.
	if err := utiljson.Unmarshal(raw, &m); err != nil {
		return nil, err
	}
	return &unstructured.Unstructured{Object: m}, nil
}

func answerAuthorizer(answers []authzAnswer) authorizer.Authorizer {
	eq := func(want *string, got string) bool { return want == nil || *want == got }
	return authorizer.AuthorizerFunc(func(_ context.Context, a authorizer.Attributes) (authorizer.Decision, string, error) {
		for _, x := range answers {
			if a.IsResourceRequest() {
				if x.Path != nil || !eq(x.Group, a.GetAPIGroup()) || !eq(x.Resource, a.GetResource()) || !eq(x.Subresource, a.GetSubresource()) ||
					!eq(x.Namespace, a.GetNamespace()) || !eq(x.Name, a.GetName()) || !eq(x.Verb, a.GetVerb()) {
					continue
				}
			} else if x.Path == nil || *x.Path != a.GetPath() || !eq(x.Verb, a.GetVerb()) {
				continue
			}
			if x.Allowed {
				return authorizer.DecisionAllow, x.Reason, nil
			}
			return authorizer.DecisionDeny, x.Reason, nil
		}
		// policyc's documented default: a check no answer covers is denied, as by an authorizer with no opinion.
		return authorizer.DecisionNoOpinion, "", nil
	})
}

// selectParams follows the ValidatingAdmissionPolicyBinding paramRef rules (Kubernetes
// documentation, "Validating Admission Policy" > "Parameter resources"): objects of the policy's
// paramKind, by name, or by selector, in paramRef.namespace, else the request's namespace for
// namespaced params (cluster-scoped params have no namespace).
func selectParams(kind *v1.ParamKind, ref *v1.ParamRef, all []*unstructured.Unstructured, requestNamespace string) ([]runtime.Object, error) {
	if kind == nil {
		return []runtime.Object{nil}, nil
	}
	if ref == nil {
		return nil, errors.New("paramKind is specified but paramRef is not set")
	}
	var candidates []*unstructured.Unstructured
	for _, o := range all {
		if o.GetAPIVersion() == kind.APIVersion && o.GetKind() == kind.Kind {
			candidates = append(candidates, o)
		}
	}
	namespaced := false
	for _, o := range candidates {
		if o.GetNamespace() != "" {
			namespaced = true
		}
	}
	ns := ref.Namespace
	if ns == "" && namespaced {
		ns = requestNamespace
	}
	var selector labels.Selector
	if ref.Selector != nil {
		s, err := metav1.LabelSelectorAsSelector(ref.Selector)
		if err != nil {
			return nil, err
		}
		selector = s
	}
	var out []runtime.Object
	for _, o := range candidates {
		if o.GetNamespace() != ns {
			continue
		}
		if ref.Name != "" && o.GetName() != ref.Name {
			continue
		}
		if selector != nil && !selector.Matches(labels.Set(o.GetLabels())) {
			continue
		}
		out = append(out, o)
	}
	if len(out) == 0 {
		if ref.ParameterNotFoundAction != nil && *ref.ParameterNotFoundAction == v1.AllowAction {
			return nil, nil
		}
		return nil, fmt.Errorf("no params found for policy binding with `Deny` parameterNotFoundAction")
	}
	return out, nil
}

type objectInterfaces struct{ admission.ObjectInterfaces }

func doEvaluate(req *request) response {
	c, ok := policies[req.ID]
	if !ok {
		return response{Error: "unknown policy " + req.ID}
	}
	in := req.Admission
	if in == nil {
		return response{Error: "no admission input"}
	}
	obj, err := decodeObject(in.Object)
	if err != nil {
		return response{Error: "object: " + err.Error()}
	}
	old, err := decodeObject(in.OldObject)
	if err != nil {
		return response{Error: "oldObject: " + err.Error()}
	}
	nsMap := namespaces{}
	for _, raw := range in.Namespaces {
		ns, err := decodeNamespace(raw)
		if err != nil {
			return response{Error: "namespace: " + err.Error()}
		}
		nsMap[ns.Name] = ns
	}
	var params []*unstructured.Unstructured
	for _, raw := range in.Params {
		p, err := decodeObject(raw)
		if err != nil {
			return response{Error: "params: " + err.Error()}
		}
		params = append(params, p)
	}
	lookupObjects = params
	var u user.Info = &user.DefaultInfo{}
	if in.UserInfo != nil {
		u = &user.DefaultInfo{Name: in.UserInfo.Username, UID: in.UserInfo.UID, Groups: in.UserInfo.Groups, Extra: in.UserInfo.Extra}
	}
	var object, oldObject runtime.Object
	if obj != nil {
		object = obj
	}
	if old != nil {
		oldObject = old
	}
	kind := schema.GroupVersionKind{Group: in.Kind.Group, Version: in.Kind.Version, Kind: in.Kind.Kind}
	resource := schema.GroupVersionResource{Group: in.Resource.Group, Version: in.Resource.Version, Resource: in.Resource.Resource}
	attr := admission.NewAttributesRecord(object, oldObject, kind, in.Namespace, in.Name, resource, in.Subresource, admission.Operation(in.Operation), nil, in.DryRun, u)
	o := sharedObjectInterfaces
	matcher := generic.NewPolicyMatcher(matching.NewMatcher(nsMap, nil))

	matches, matchResource, matchKind, err := matcher.DefinitionMatches(attr, o, validating.NewValidatingAdmissionPolicyAccessor(c.policy))
	if err != nil {
		return response{Error: "matchConstraints: " + err.Error()}
	}
	if !matches {
		f := false
		return response{OK: true, Matched: &f}
	}
	t := true
	out := response{OK: true, Matched: &t}
	versioned, err := admission.NewVersionedAttributes(attr, matchKind, o)
	if err != nil {
		return response{Error: err.Error()}
	}
	var namespace *corev1.Namespace
	if in.Namespace != "" && !(kind.Kind == "Namespace" && kind.Version == "v1" && kind.Group == "") {
		namespace = nsMap.get(in.Namespace)
	}
	authz := answerAuthorizer(in.Authorizer)
	bindings := c.bindings
	if len(req.Bindings) > 0 {
		if bindings, err = decodeBindings(req.Bindings); err != nil {
			return response{Error: "binding: " + err.Error()}
		}
	}
	for _, binding := range bindings {
		br := bindingResult{Binding: binding.Name}
		for _, a := range binding.Spec.ValidationActions {
			br.ValidationActions = append(br.ValidationActions, string(a))
		}
		bm, err := matcher.BindingMatches(attr, o, validating.NewValidatingAdmissionPolicyBindingAccessor(binding))
		if err != nil {
			br.Error = "matchResources: " + err.Error()
			out.Bindings = append(out.Bindings, br)
			continue
		}
		br.Matched = bm
		if !bm {
			out.Bindings = append(out.Bindings, br)
			continue
		}
		selected, err := selectParams(c.policy.Spec.ParamKind, binding.Spec.ParamRef, params, in.Namespace)
		if err != nil {
			// A configuration error: denied under failurePolicy Fail, as the dispatcher does.
			if c.policy.Spec.FailurePolicy == nil || *c.policy.Spec.FailurePolicy == v1.Fail {
				br.Decisions = append(br.Decisions, decision{Action: "deny", Evaluation: "error", Message: "failed to configure binding: " + err.Error()})
			}
			out.Bindings = append(out.Bindings, br)
			continue
		}
		for _, p := range selected {
			r := c.validator.Validate(context.Background(), matchResource, versioned, p, namespace, celconfig.RuntimeCELCostBudget, authz)
			for _, d := range r.Decisions {
				br.Decisions = append(br.Decisions, decision{Action: string(d.Action), Evaluation: string(d.Evaluation), Message: d.Message, Reason: string(d.Reason)})
			}
			for _, a := range r.AuditAnnotations {
				br.AuditAnnotations = append(br.AuditAnnotations, annotation{Key: a.Key, Value: a.Value, Action: string(a.Action), Error: a.Error})
			}
		}
		out.Bindings = append(out.Bindings, br)
	}
	return out
}

// ---------------------------------------------------------------- single expressions

// doExpr compiles and evaluates one expression in the Kubernetes base environment with the
// admission variables (object, oldObject, params, namespaceObject, request, authorizer unset),
// returning the value as JSON and its CEL type, or the compile or evaluation error.
var exprNames = []string{"object", "oldObject", "params", "namespaceObject", "request"}
var exprEnv *celgo.Env

// exprEnvironment is built once: the base environment with the admission variables as dyn.
func exprEnvironment() (*celgo.Env, error) {
	if exprEnv != nil {
		return exprEnv, nil
	}
	opts := []celgo.EnvOption{}
	for _, n := range exprNames {
		opts = append(opts, celgo.Variable(n, celgo.DynType))
	}
	set, err := envSet().Extend(environment.VersionedOptions{IntroducedVersion: version.MajorMinor(1, 0), EnvOptions: opts})
	if err != nil {
		return nil, err
	}
	env, err := set.Env(environment.StoredExpressions)
	if err != nil {
		return nil, err
	}
	exprEnv = env
	return env, nil
}

func doExpr(req *request) response {
	names := exprNames
	env, err := exprEnvironment()
	if err != nil {
		return response{Error: err.Error()}
	}
	ast, iss := env.Compile(req.Expression)
	if iss.Err() != nil {
		return response{Error: "compile: " + iss.Err().Error()}
	}
	prg, err := env.Program(ast, celgo.CostLimit(celconfig.PerCallLimit))
	if err != nil {
		return response{Error: "program: " + err.Error()}
	}
	activation := map[string]interface{}{}
	for _, n := range names {
		activation[n] = nil
	}
	for k, raw := range req.Vars {
		var v interface{}
		if err := utiljson.Unmarshal(raw, &v); err != nil {
			return response{Error: k + ": " + err.Error()}
		}
		activation[k] = v
	}
	val, _, err := prg.Eval(activation)
	if err != nil {
		return response{Error: "eval: " + err.Error()}
	}
	native, err := val.ConvertToNative(jsonValueType)
	if err != nil {
		return response{OK: true, Type: val.Type().TypeName(), Value: json.RawMessage(strconvQuote(fmt.Sprint(val.Value())))}
	}
	enc, err := protojson.Marshal(native.(proto.Message))
	if err != nil {
		return response{Error: err.Error()}
	}
	return response{OK: true, Type: val.Type().TypeName(), Value: enc}
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
		delete(policies, req.ID)
		return response{OK: true}
	case "version":
		return response{OK: true, Value: json.RawMessage(`"` + environment.DefaultCompatibilityVersion().String() + `"`)}
	}
	return response{Error: "unknown op " + req.Op}
}

var _ = admissionv1.AdmissionRequest{}
