// Package policy compiles ValidatingAdmissionPolicies with the API server's own validator
// (recording each expression's compile errors under its field) and evaluates them on admission
// requests with the API server's matcher, match conditions and validator, all from Debian's
// Kubernetes sources. A Store holds what is compiled, by the host's ids.
package policy

import (
	"encoding/json"
	"fmt"
	"strings"

	v1 "k8s.io/api/admissionregistration/v1"
	"k8s.io/apiserver/pkg/admission/plugin/cel"
	"k8s.io/apiserver/pkg/admission/plugin/policy/validating"
	"k8s.io/apiserver/pkg/admission/plugin/webhook/matchconditions"
	"k8s.io/apiserver/pkg/cel/environment"

	"policyc/cel/authz"
	"policyc/cel/kyverno"
	"policyc/cel/protocol"
)

type compiled struct {
	policy    *v1.ValidatingAdmissionPolicy
	validator validating.Validator
	// The bindings sent with compile, decoded and defaulted once; an evaluate request may send
	// its own instead.
	bindings []*v1.ValidatingAdmissionPolicyBinding
	// readsNamespace: some expression of the policy names namespaceObject. When none does, its
	// evaluations are given no namespace object: the validator would convert it to a map by
	// reflection for every group of conditions, and no expression could read it.
	readsNamespace bool
	// sameAs: policies with the same sameAs evaluate alike on one admission (see evaluationKey).
	sameAs string
}

// evaluationKey says which compiled policies answer the same on every admission request: the
// same validator (shared between the Kubernetes and Kyverno compiles of the same CEL), the same
// matchConstraints and params, and bindings alike but for their names and validation actions
// (which an answer carries, and are put back). A Kyverno ValidatingPolicy and the
// ValidatingAdmissionPolicy lowered from the same policy are evaluated once per request.
func evaluationKey(validator validating.Validator, p *v1.ValidatingAdmissionPolicy, bindings []*v1.ValidatingAdmissionPolicyBinding) string {
	specs := make([]any, len(bindings))
	for i, b := range bindings {
		specs[i] = struct{ ParamRef, MatchResources any }{b.Spec.ParamRef, b.Spec.MatchResources}
	}
	b, _ := json.Marshal(struct {
		MatchConstraints, ParamKind, Bindings any
	}{p.Spec.MatchConstraints, p.Spec.ParamKind, specs})
	return fmt.Sprintf("%p %s", validator, b)
}

// readsNamespace says whether any CEL of the policy contains the name namespaceObject (in a string
// literal too: the test errs towards passing the object).
func readsNamespace(p *v1.ValidatingAdmissionPolicy) bool {
	return strings.Contains(strings.Join(validatingExpressions(p), "\n"), "namespaceObject")
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

// Store holds the compiled policies by id, and what they share: validators compiled once for
// the Kubernetes and Kyverno environments, and compositions of the same variables. Not safe for
// concurrent use (the Wasm module is single-threaded).
type Store struct {
	policies map[string]*compiled
	// mutations: the compiled mutating policies (mutate.go), by id.
	mutations map[string]*compiledMutation
	// authz: the compiled ValidatingPolicies in HTTP or Envoy mode (authz.go), by id.
	authz map[string]*authz.Policy
	// clusters: objects registered once (op cluster) and named by evaluate requests.
	clusters map[string]*cluster
	// shared: a validator compiled without problems in the Kubernetes environment, which a Kyverno
	// compile of the same CEL reuses (see Compile).
	shared       *sharedTable[validating.Validator]
	compositions *sharedTable[*composition]
	// sharedMutations: a mutating policy compiled without problems in the Kubernetes environment,
	// which a Kyverno compile of the same policy reuses (see CompileMutating).
	sharedMutations *sharedTable[*compiledMutation]
	// What the "stats" op reports: Kyverno compiles answered from a Kubernetes one, compiles that
	// found their variables' composition built, expressions answered from a composition's memory.
	sharedHits, compositionHits, memoHits int
	// held: the admission last sent with a key (AdmissionKey), decoded, for the requests naming it.
	held    *admissionInput
	heldKey string
	// answered: the answers given on the held admission, by evaluationKey.
	answered map[string]protocol.Response
	// What "stats" reports of answers shared between policies that evaluate alike.
	answeredHits int
}

// NewStore is an empty store.
func NewStore() *Store {
	return &Store{
		policies:        map[string]*compiled{},
		mutations:       map[string]*compiledMutation{},
		authz:           map[string]*authz.Policy{},
		clusters:        map[string]*cluster{},
		shared:          newSharedTable[validating.Validator](),
		compositions:    newSharedTable[*composition](),
		sharedMutations: newSharedTable[*compiledMutation](),
	}
}

// BaseEnvSet is the Kubernetes CEL environment of the API server's compatibility version.
func BaseEnvSet() *environment.EnvSet {
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

// memoCompiler answers an expression compiled before in the same composition from memory: the
// environment is the same (same base, same variables in the same order, same optional variables
// and mode), the expression text and the return types it must have are the same, so the API
// server's compiler would produce the same program, output type or error. Only the accessor
// differs (a validation's message and reason live there), so the answer carries the caller's.
type memoCompiler struct {
	inner   cel.Compiler
	results map[memoKey]cel.CompilationResult
	hits    *int
}

// exceptionsCompiler is Kyverno's environment's compiler: a program that reads `exceptions` gets
// it around the activation the API server's code builds (kyverno.WithExceptions).
type exceptionsCompiler struct{ inner cel.Compiler }

func (e exceptionsCompiler) CompileCELExpression(a cel.ExpressionAccessor, options cel.OptionalVariableDeclarations, mode environment.Type) cel.CompilationResult {
	r := e.inner.CompileCELExpression(a, options, mode)
	if r.Program != nil && kyverno.ReadsExceptions(a.GetExpression()) {
		r.Program = kyverno.WithExceptions(r.Program)
	}
	return r
}

type memoKey struct {
	expression  string
	returnTypes string
	options     cel.OptionalVariableDeclarations
	mode        environment.Type
}

func (m *memoCompiler) CompileCELExpression(a cel.ExpressionAccessor, options cel.OptionalVariableDeclarations, mode environment.Type) cel.CompilationResult {
	key := memoKey{expression: a.GetExpression(), returnTypes: fmt.Sprint(a.ReturnTypes()), options: options, mode: mode}
	r, ok := m.results[key]
	if ok {
		*m.hits++
	} else {
		r = m.inner.CompileCELExpression(a, options, mode)
		m.results[key] = r
	}
	r.ExpressionAccessor = a
	return r
}

// composition is a composited compiler with a policy's variables compiled into it, shared by the
// policies whose variables are the same (names and expressions, in order), in the same
// environment, with or without params: its state is then exactly what each of them would have
// built, and it is read-only once the variables are compiled. The API server builds one per policy
// (eight environments, and every variable parsed and checked again); policies generated from one
// SDK shape or library function share their variables (the pod-template ones), so they share it.
type composition struct {
	compiler *cel.CompositedCompiler
	memo     *memoCompiler
	// variableErrors: the compile error of variable i, reported for every policy sharing it.
	variableErrors map[int]string
}

func compositionKey(environmentName string, policy *v1.ValidatingAdmissionPolicy) string {
	b, _ := json.Marshal(struct {
		Environment string
		Params      bool
		Variables   any
	}{environmentName, policy.Spec.ParamKind != nil, policy.Spec.Variables})
	return string(b)
}

// compositionFor returns the shared composition for the policy's variables, compiling them the
// first time, held by policy id.
func (s *Store) compositionFor(id, environmentName string, policy *v1.ValidatingAdmissionPolicy, env *environment.EnvSet) (*composition, error) {
	key := compositionKey(environmentName, policy)
	c, ok := s.compositions.get(key)
	if ok {
		s.compositionHits++
	} else {
		compiler, err := cel.NewCompositedCompiler(env)
		if err != nil {
			return nil, err
		}
		inner := compiler.Compiler
		if environmentName == "kyverno" {
			inner = exceptionsCompiler{inner}
		}
		memo := &memoCompiler{inner: inner, results: map[memoKey]cel.CompilationResult{}, hits: &s.memoHits}
		compiler.Compiler = memo
		c = &composition{compiler: compiler, memo: memo, variableErrors: map[int]string{}}
		optionalVars := cel.OptionalVariableDeclarations{HasParams: policy.Spec.ParamKind != nil, HasAuthorizer: true}
		for i := range policy.Spec.Variables {
			v := &validating.Variable{Name: policy.Spec.Variables[i].Name, Expression: policy.Spec.Variables[i].Expression}
			if r := compiler.CompileAndStoreVariable(v, optionalVars, environment.StoredExpressions); r.Error != nil {
				c.variableErrors[i] = r.Error.Detail
			}
		}
	}
	s.compositions.hold(key, id, c)
	return c, nil
}

// compilePolicy mirrors the API server's compilePolicy (validating/plugin.go), which is unexported:
// variables, match conditions, validations, audit annotations and message expressions compiled
// in one composited environment with the policy's optional variables. Compile errors come back
// in the order the fields appear in the policy. The composited compiler is shared with the
// policies that have the same variables (composition).
func (s *Store) compilePolicy(id, environmentName string, policy *v1.ValidatingAdmissionPolicy, env *environment.EnvSet) (validating.Validator, []protocol.Problem) {
	hasParam := policy.Spec.ParamKind != nil
	optionalVars := cel.OptionalVariableDeclarations{HasParams: hasParam, HasAuthorizer: true}
	expressionOptionalVars := cel.OptionalVariableDeclarations{HasParams: hasParam, HasAuthorizer: false}
	failurePolicy := policy.Spec.FailurePolicy
	shared, err := s.compositionFor(id, environmentName, policy, env)
	if err != nil {
		return nil, []protocol.Problem{{Field: "spec", Message: err.Error()}}
	}
	compiler := shared.compiler
	rec := &recordingConditions{compiler: shared.memo, errors: map[string]string{}}
	// Compiles run one at a time (the module is single-threaded): the recorder is this policy's.
	compiler.ConditionCompiler = rec
	for i, detail := range shared.variableErrors {
		rec.errors[fmt.Sprintf("spec.variables[%d].expression", i)] = detail
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
	var problems []protocol.Problem
	for _, f := range fields {
		if msg, ok := rec.errors[f]; ok {
			if environmentName == "kyverno" {
				msg = kyverno.ExplainCompileError(msg)
			}
			problems = append(problems, protocol.Problem{Field: f, Message: msg})
		}
	}
	return validator, problems
}

// validatingExpressions are a policy's CEL expressions.
func validatingExpressions(p *v1.ValidatingAdmissionPolicy) []string {
	out := variablesAndConditions(p.Spec.Variables, p.Spec.MatchConditions)
	for _, v := range p.Spec.Validations {
		out = append(out, v.Expression, v.MessageExpression)
	}
	for _, a := range p.Spec.AuditAnnotations {
		out = append(out, a.ValueExpression)
	}
	return out
}

// variablesAndConditions are the expressions of a policy's variables and match conditions.
func variablesAndConditions(variables []v1.Variable, conditions []v1.MatchCondition) []string {
	var out []string
	for _, v := range variables {
		out = append(out, v.Expression)
	}
	for _, c := range conditions {
		out = append(out, c.Expression)
	}
	return out
}

// celKey is what a compiled validator depends on: the policy's name (match-condition errors name
// it) and every CEL-bearing field, with the failure policy and whether it has params.
func celKey(p *v1.ValidatingAdmissionPolicy) string {
	b, _ := json.Marshal(struct {
		Name             string
		Params           bool
		FailurePolicy    any
		Variables        any
		MatchConditions  any
		Validations      any
		AuditAnnotations any
	}{p.Name, p.Spec.ParamKind != nil, p.Spec.FailurePolicy, p.Spec.Variables, p.Spec.MatchConditions, p.Spec.Validations, p.Spec.AuditAnnotations})
	return string(b)
}

// Release forgets a policy, and a shared validator or composition no policy holds any more.
func (s *Store) Release(id string) {
	delete(s.policies, id)
	delete(s.mutations, id)
	delete(s.authz, id)
	s.compositions.release(id)
	s.shared.release(id)
	s.sharedMutations.release(id)
}

// Compile compiles the request's policy with its bindings under the request's id. A validator
// compiled without problems in the Kubernetes environment is reused by a Kyverno compile of the
// same CEL: what type-checks without Kyverno's libraries means the same with them (they only add
// functions and variables), so the stricter environment's success is the licence to share.
func (s *Store) Compile(req *protocol.Request) protocol.Response {
	var policy v1.ValidatingAdmissionPolicy
	if err := json.Unmarshal(req.Policy, &policy); err != nil {
		return protocol.Fail(protocol.InvalidDocument, "policy: %v", err)
	}
	defaultPolicy(&policy)
	bindings, err := decodeBindings(req.Bindings)
	if err != nil {
		return protocol.Fail(protocol.InvalidDocument, "binding: %v", err)
	}
	key := celKey(&policy)
	reads := readsNamespace(&policy)
	if v, ok := s.shared.get(key); ok && req.Kyverno && kyverno.OptionalCallsAgree(validatingExpressions(&policy)...) {
		s.sharedHits++
		s.shared.hold(key, req.ID, v)
		s.policies[req.ID] = &compiled{policy: &policy, validator: v, bindings: bindings, readsNamespace: reads, sameAs: evaluationKey(v, &policy, bindings)}
		return protocol.Response{OK: true}
	}
	env, environmentName := BaseEnvSet(), "kubernetes"
	if req.Kyverno {
		env, environmentName = kyverno.EnvSet(BaseEnvSet), "kyverno"
	}
	validator, problems := s.compilePolicy(req.ID, environmentName, &policy, env)
	if !req.Kyverno && len(problems) == 0 {
		s.shared.hold(key, req.ID, validator)
	}
	c := &compiled{policy: &policy, validator: validator, bindings: bindings, readsNamespace: reads}
	if len(problems) == 0 {
		c.sameAs = evaluationKey(validator, &policy, bindings)
	}
	s.policies[req.ID] = c
	if len(problems) > 0 {
		r := protocol.Fail(protocol.CompileError, "%d expression(s) do not compile", len(problems))
		r.Problems = problems
		return r
	}
	return protocol.Response{OK: true}
}

// Stats counts what the store holds and shares.
func (s *Store) Stats() protocol.Response {
	return protocol.Response{OK: true, Value: json.RawMessage(fmt.Sprintf(`{"policies":%d,"shared":%d,"sharedHits":%d,"compositions":%d,"compositionHits":%d,"memoHits":%d,"answeredHits":%d}`,
		len(s.policies), s.shared.len(), s.sharedHits, s.compositions.len(), s.compositionHits, s.memoHits, s.answeredHits))}
}

// sharedTable holds values shared by policies under a key (a validator by its CEL, a composition
// by its variables): each policy id holds at most one, and a value is dropped with the last
// policy holding it, so a long run (the fuzzer) that releases its policies frees them.
type sharedTable[T any] struct {
	byKey map[string]*sharedEntry[T]
	keyOf map[string]string
}

type sharedEntry[T any] struct {
	value   T
	holders map[string]bool
}

func newSharedTable[T any]() *sharedTable[T] {
	return &sharedTable[T]{byKey: map[string]*sharedEntry[T]{}, keyOf: map[string]string{}}
}

func (t *sharedTable[T]) get(key string) (T, bool) {
	if e, ok := t.byKey[key]; ok {
		return e.value, true
	}
	var zero T
	return zero, false
}

// hold records that policy id holds the value under key (value, if the key holds none yet),
// dropping what id held before.
func (t *sharedTable[T]) hold(key, id string, value T) {
	t.release(id)
	e := t.byKey[key]
	if e == nil {
		e = &sharedEntry[T]{value: value, holders: map[string]bool{}}
		t.byKey[key] = e
	}
	e.holders[id] = true
	t.keyOf[id] = key
}

// release forgets what policy id holds, and a value no policy holds any more.
func (t *sharedTable[T]) release(id string) {
	key, ok := t.keyOf[id]
	if !ok {
		return
	}
	delete(t.keyOf, id)
	if e := t.byKey[key]; e != nil {
		delete(e.holders, id)
		if len(e.holders) == 0 {
			delete(t.byKey, key)
		}
	}
}

func (t *sharedTable[T]) len() int { return len(t.byKey) }
