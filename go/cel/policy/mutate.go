package policy

// Mutating admission policies, compiled and applied with the API server's own mutation code
// (k8s.io/apiserver/pkg/admission/plugin/policy/mutating/patch): ApplyConfiguration merged by
// structured-merge-diff with the built-in types' schemas, JSONPatch applied as the dispatcher
// applies it, match constraints, binding match and match conditions by the same matcher the
// validating path uses. Debian's sources are Kubernetes 1.36, where the kind is
// admissionregistration.k8s.io/v1; policyc emits v1beta1 (Kubernetes 1.34 and 1.35), whose
// fields are the same, so a document of either version decodes into the v1 type.

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	v1 "k8s.io/api/admissionregistration/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/util/managedfields"
	"k8s.io/apiserver/pkg/admission"
	"k8s.io/apiserver/pkg/admission/plugin/cel"
	"k8s.io/apiserver/pkg/admission/plugin/policy/mutating"
	"k8s.io/apiserver/pkg/admission/plugin/policy/mutating/patch"
	"k8s.io/apiserver/pkg/admission/plugin/policy/validating"
	"k8s.io/apiserver/pkg/admission/plugin/webhook/matchconditions"
	celconfig "k8s.io/apiserver/pkg/apis/cel"
	"k8s.io/apiserver/pkg/cel/environment"
	"k8s.io/client-go/applyconfigurations"
	"k8s.io/client-go/kubernetes/scheme"

	"policyc/cel/kyverno"
	"policyc/cel/protocol"
)

type compiledMutation struct {
	policy   *v1.MutatingAdmissionPolicy
	bindings []*v1.MutatingAdmissionPolicyBinding
	matcher  matchconditions.Matcher
	patchers []patch.Patcher
	kyverno  bool
	// sameAs: policies with the same sameAs mutate alike on one admission (the Kubernetes compile
	// and the Kyverno compile that reuses it); empty when not shared.
	sameAs string
}

// mutationKey is what a mutating policy's answer depends on besides the admission: its spec
// and its bindings' selection (not their names).
func mutationKey(p *v1.MutatingAdmissionPolicy, bindings []*v1.MutatingAdmissionPolicyBinding) string {
	specs := make([]any, len(bindings))
	for i, b := range bindings {
		specs[i] = struct{ ParamRef, MatchResources any }{b.Spec.ParamRef, b.Spec.MatchResources}
	}
	raw, _ := json.Marshal(struct{ Spec, Bindings any }{p.Spec, specs})
	return string(raw)
}

// mutatingExpressions are a policy's CEL expressions.
func mutatingExpressions(p *v1.MutatingAdmissionPolicy) []string {
	out := variablesAndConditions(p.Spec.Variables, p.Spec.MatchConditions)
	for _, m := range p.Spec.Mutations {
		if m.ApplyConfiguration != nil {
			out = append(out, m.ApplyConfiguration.Expression)
		}
		if m.JSONPatch != nil {
			out = append(out, m.JSONPatch.Expression)
		}
	}
	return out
}

var typeConverter managedfields.TypeConverter

// builtInTypes is the type converter of the built-in kinds (client-go's schemas, as the API
// server's static type converter), made on first use.
func builtInTypes() managedfields.TypeConverter {
	if typeConverter == nil {
		typeConverter = applyconfigurations.NewTypeConverter(scheme.Scheme)
	}
	return typeConverter
}

func decodeMutatingBindings(raws []json.RawMessage) ([]*v1.MutatingAdmissionPolicyBinding, error) {
	out := make([]*v1.MutatingAdmissionPolicyBinding, 0, len(raws))
	for _, raw := range raws {
		var b v1.MutatingAdmissionPolicyBinding
		if err := json.Unmarshal(raw, &b); err != nil {
			return nil, err
		}
		if b.Spec.MatchResources != nil {
			defaultMatchResources(b.Spec.MatchResources)
		}
		out = append(out, &b)
	}
	return out, nil
}

// CompileMutating compiles a MutatingAdmissionPolicy (Request.Policy) with its bindings, in the
// Kubernetes environment or, with Kyverno, Kyverno's (a MutatingPolicy's mutations, which the
// host sends in the same shape). Compile errors come back as problems naming their field.
func (s *Store) CompileMutating(req *protocol.Request) protocol.Response {
	var p v1.MutatingAdmissionPolicy
	if err := json.Unmarshal(req.Policy, &p); err != nil {
		return protocol.Fail(protocol.InvalidDocument, "policy: %v", err)
	}
	if p.Spec.FailurePolicy == nil {
		fail := v1.Fail
		p.Spec.FailurePolicy = &fail
	}
	if p.Spec.MatchConstraints != nil {
		defaultMatchResources(p.Spec.MatchConstraints)
	}
	bindings, err := decodeMutatingBindings(req.Bindings)
	if err != nil {
		return protocol.Fail(protocol.InvalidDocument, "binding: %v", err)
	}
	// A policy compiled without problems in the Kubernetes environment means the same in Kyverno's
	// (its libraries only add functions, and or/orValue agree on receivers that are optionals by
	// their syntax): a Kyverno compile of it reuses the compile, and the two share their answers
	// on one admission (Mutate).
	key := mutationKey(&p, bindings)
	if base, ok := s.sharedMutations.get(key); ok && req.Kyverno && kyverno.OptionalCallsAgree(mutatingExpressions(&p)...) {
		s.sharedHits++
		s.sharedMutations.hold(key, req.ID, base)
		s.mutations[req.ID] = &compiledMutation{policy: &p, bindings: bindings, matcher: base.matcher, patchers: base.patchers, kyverno: true, sameAs: base.sameAs}
		return protocol.Response{OK: true}
	}
	env := BaseEnvSet()
	if req.Kyverno {
		env = kyverno.EnvSet(BaseEnvSet)
	}
	compiler, err := cel.NewCompositedCompiler(env)
	if err != nil {
		return protocol.Fail(protocol.Internal, "compiler: %v", err)
	}
	if req.Kyverno {
		// Kyverno's `exceptions` for variables, match conditions and mutations alike.
		compiler.Compiler = exceptionsCompiler{compiler.Compiler}
		compiler.MutatingCompiler = mutatingWith{compiler.Compiler}
	}
	opts := cel.OptionalVariableDeclarations{HasParams: p.Spec.ParamKind != nil, HasAuthorizer: true}
	var problems []protocol.Problem
	problem := func(field string, errs ...error) {
		for _, e := range errs {
			msg := e.Error()
			if req.Kyverno {
				msg = kyverno.ExplainCompileError(msg)
			}
			problems = append(problems, protocol.Problem{Field: field, Message: msg})
		}
	}
	for i, v := range p.Spec.Variables {
		if r := compiler.CompileAndStoreVariable(&validating.Variable{Name: v.Name, Expression: v.Expression}, opts, environment.StoredExpressions); r.Error != nil {
			problem(fmt.Sprintf("spec.variables[%d].expression", i), r.Error)
		}
	}
	c := &compiledMutation{policy: &p, bindings: bindings, kyverno: req.Kyverno}
	if n := len(p.Spec.MatchConditions); n > 0 {
		accessors := make([]cel.ExpressionAccessor, n)
		for i := range p.Spec.MatchConditions {
			accessors[i] = (*matchconditions.MatchCondition)(&p.Spec.MatchConditions[i])
		}
		// Each condition compiled once, its error recorded under its field (as the validating path does).
		rec := &recordingConditions{compiler: compiler.Compiler, errors: map[string]string{}}
		compiler.ConditionCompiler = rec
		const field = "spec.matchConditions[%d].expression"
		c.matcher = matchconditions.NewMatcher(rec.compile(compiler, field, accessors, opts), p.Spec.FailurePolicy, "policy", "mutate", p.Name)
		for i := range accessors {
			if msg, ok := rec.errors[fmt.Sprintf(field, i)]; ok {
				problem(fmt.Sprintf(field, i), errors.New(msg))
			}
		}
	}
	patchOpts := opts
	patchOpts.HasPatchTypes = true
	for i, m := range p.Spec.Mutations {
		var accessor cel.ExpressionAccessor
		var field string
		switch {
		case m.PatchType == v1.PatchTypeJSONPatch && m.JSONPatch != nil:
			accessor, field = &patch.JSONPatchCondition{Expression: m.JSONPatch.Expression}, fmt.Sprintf("spec.mutations[%d].jsonPatch.expression", i)
		case m.PatchType == v1.PatchTypeApplyConfiguration && m.ApplyConfiguration != nil:
			accessor, field = &patch.ApplyConfigurationCondition{Expression: m.ApplyConfiguration.Expression}, fmt.Sprintf("spec.mutations[%d].applyConfiguration.expression", i)
		default:
			problems = append(problems, protocol.Problem{Field: fmt.Sprintf("spec.mutations[%d]", i), Message: fmt.Sprintf("patchType %q without its expression", m.PatchType)})
			continue
		}
		evaluator := compiler.CompileMutatingEvaluator(accessor, patchOpts, environment.StoredExpressions)
		problem(field, evaluator.CompilationErrors()...)
		if m.PatchType == v1.PatchTypeJSONPatch {
			c.patchers = append(c.patchers, patch.NewJSONPatcher(evaluator))
		} else {
			c.patchers = append(c.patchers, patch.NewApplyConfigurationPatcher(evaluator))
		}
	}
	if len(problems) > 0 {
		return protocol.Response{Error: &protocol.Error{Code: protocol.CompileError, Message: problems[0].Message}, Problems: problems}
	}
	if !req.Kyverno {
		c.sameAs = fmt.Sprintf("mutate %p", c)
		s.sharedMutations.hold(key, req.ID, c)
	}
	s.mutations[req.ID] = c
	return protocol.Response{OK: true}
}

// Mutate applies the compiled mutating policy of the request's id to its admission request: the
// policy's matchConstraints, then each binding that matches (in order) with the match
// conditions and every mutation in turn, each reading the object the one before produced. The
// answer's Value is the object after all of them (Matched false and no Value: nothing matched).
func (s *Store) Mutate(req *protocol.Request) protocol.Response {
	c, a, fail := compiledFor(s, s.mutations, req, "mutating policy")
	if fail != nil {
		return *fail
	}
	// What PolicyExceptions allow this policy on this request (Kyverno's `exceptions`): the
	// policy's own, so its answer is not shared then.
	kyverno.SetExceptions(req.Exceptions)
	shareable := req.AdmissionKey != "" && c.sameAs != "" && req.Exceptions == nil
	if shareable {
		if r, ok := s.answered[c.sameAs]; ok {
			s.answeredHits++
			return r
		}
	}
	r := s.mutate(c, a)
	if shareable && r.OK {
		s.answered[c.sameAs] = r
	}
	return r
}

// mutate is Mutate on a decoded admission.
func (s *Store) mutate(c *compiledMutation, a *admissionInput) protocol.Response {
	if c.kyverno {
		kyverno.SetRequest(a.lookups, a.in.Kyverno, a.contextObjects)
	}
	o := sharedObjectInterfaces
	attr := a.attr
	matches, matchResource, matchKind, err := a.matcher.DefinitionMatches(attr, o, mutating.NewMutatingAdmissionPolicyAccessor(c.policy))
	if err != nil {
		return protocol.Fail(protocol.EvaluationError, "matchConstraints: %v", err)
	}
	f := false
	if !matches {
		return protocol.Response{OK: true, Matched: &f}
	}
	versioned, err := admission.NewVersionedAttributes(attr, matchKind, o)
	if err != nil {
		return protocol.Fail(protocol.EvaluationError, "%v", err)
	}
	var namespace = a.nsMap.get(a.in.Namespace)
	matched := false
	for _, binding := range c.bindings {
		bm, err := a.matcher.BindingMatches(attr, o, mutating.NewMutatingAdmissionPolicyBindingAccessor(binding))
		if err != nil {
			return protocol.Fail(protocol.EvaluationError, "binding %s matchResources: %v", binding.Name, err)
		}
		if !bm {
			continue
		}
		optional := cel.OptionalVariableBindings{Authorizer: a.authz}
		if c.matcher != nil {
			r := c.matcher.Match(context.Background(), versioned, nil, a.authz)
			if r.Error != nil {
				return protocol.Fail(protocol.EvaluationError, "matchConditions: %v", r.Error)
			}
			if !r.Matches {
				continue
			}
		}
		matched = true
		for i, p := range c.patchers {
			out, err := p.Patch(context.Background(), patch.Request{
				MatchedResource:     matchResource,
				VersionedAttributes: versioned,
				ObjectInterfaces:    o,
				OptionalVariables:   optional,
				Namespace:           namespace,
				TypeConverter:       builtInTypes(),
			}, celconfig.RuntimeCELCostBudget)
			if err != nil {
				return protocol.Fail(protocol.EvaluationError, "spec.mutations[%d]: %v", i, err)
			}
			versioned.VersionedObject = out
			versioned.Dirty = true
		}
	}
	if !matched {
		return protocol.Response{OK: true, Matched: &f}
	}
	u, ok := versioned.VersionedObject.(*unstructured.Unstructured)
	var raw []byte
	if ok {
		raw, err = json.Marshal(u.Object)
	} else {
		raw, err = json.Marshal(versioned.VersionedObject)
	}
	if err != nil {
		return protocol.Fail(protocol.Internal, "encoding the mutated object: %v", err)
	}
	t := true
	return protocol.Response{OK: true, Matched: &t, Value: raw}
}

// mutatingWith compiles mutations with the given compiler (the API server's holds the one it
// was made with).
type mutatingWith struct{ compiler cel.Compiler }

func (m mutatingWith) CompileMutatingEvaluator(a cel.ExpressionAccessor, options cel.OptionalVariableDeclarations, mode environment.Type) cel.MutatingEvaluator {
	return cel.NewMutatingEvaluator(m.compiler.CompileCELExpression(a, options, mode))
}
