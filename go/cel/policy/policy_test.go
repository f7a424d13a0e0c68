package policy

import (
	"encoding/json"
	"strings"
	"testing"

	v1 "k8s.io/api/admissionregistration/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"policyc/cel/protocol"
)

const vap = `{"apiVersion":"admissionregistration.k8s.io/v1","kind":"ValidatingAdmissionPolicy","metadata":{"name":"replicas"},
"spec":{"matchConstraints":{"resourceRules":[{"apiGroups":["apps"],"apiVersions":["v1"],"operations":["CREATE"],"resources":["deployments"]}]},
"variables":[{"name":"n","expression":"object.spec.replicas"}],
"validations":[{"expression":"variables.n <= 5","messageExpression":"'too many: ' + string(variables.n)"}]}}`

const binding = `{"apiVersion":"admissionregistration.k8s.io/v1","kind":"ValidatingAdmissionPolicyBinding","metadata":{"name":"replicas"},
"spec":{"policyName":"replicas","validationActions":["Deny"]}}`

func deployment(replicas int) *protocol.Admission {
	obj, _ := json.Marshal(map[string]any{"apiVersion": "apps/v1", "kind": "Deployment",
		"metadata": map[string]any{"name": "d", "namespace": "shop"}, "spec": map[string]any{"replicas": replicas}})
	return &protocol.Admission{Operation: "CREATE", Kind: protocol.GVK{Group: "apps", Version: "v1", Kind: "Deployment"},
		Resource: protocol.GVR{Group: "apps", Version: "v1", Resource: "deployments"}, Name: "d", Namespace: "shop", Object: obj}
}

func compile(t *testing.T, s *Store, id, policy string, kyverno bool) protocol.Response {
	t.Helper()
	return s.Compile(&protocol.Request{Op: "compile", ID: id, Policy: json.RawMessage(policy), Bindings: []json.RawMessage{json.RawMessage(binding)}, Kyverno: kyverno})
}

func TestEvaluateAdmitsAndDeniesWithTheMessageExpression(t *testing.T) {
	s := NewStore()
	if r := compile(t, s, "p", vap, false); !r.OK {
		t.Fatalf("compile: %+v", r)
	}
	deny := s.Evaluate(&protocol.Request{ID: "p", Admission: deployment(7)})
	if !deny.OK || !*deny.Matched || len(deny.Bindings) != 1 {
		t.Fatalf("evaluate: %+v", deny)
	}
	d := deny.Bindings[0].Decisions
	if len(d) != 1 || d[0].Action != "deny" || d[0].Message != "too many: 7" {
		t.Fatalf("decisions: %+v", d)
	}
	admit := s.Evaluate(&protocol.Request{ID: "p", Admission: deployment(3)})
	if len(admit.Bindings[0].Decisions) != 1 || admit.Bindings[0].Decisions[0].Action != "admit" {
		t.Fatalf("admit: %+v", admit.Bindings[0].Decisions)
	}
}

func TestCompileErrorsNameTheirFieldWithATypedError(t *testing.T) {
	s := NewStore()
	bad := strings.Replace(vap, `variables.n <= 5`, `variables.n + 'x' == 1`, 1)
	r := compile(t, s, "bad", bad, false)
	if r.OK || r.Error == nil || r.Error.Code != protocol.CompileError {
		t.Fatalf("want a compile_error, got %+v", r)
	}
	if len(r.Problems) != 1 || r.Problems[0].Field != "spec.validations[0].expression" {
		t.Fatalf("problems: %+v", r.Problems)
	}
	if r := s.Compile(&protocol.Request{ID: "x", Policy: json.RawMessage(`{"spec": 3}`)}); r.Error == nil || r.Error.Code != protocol.InvalidDocument {
		t.Fatalf("want invalid_document, got %+v", r)
	}
}

func TestUnknownAndReleasedPoliciesAreTypedErrors(t *testing.T) {
	s := NewStore()
	compile(t, s, "p", vap, false)
	s.Release("p")
	r := s.Evaluate(&protocol.Request{ID: "p", Admission: deployment(1)})
	if r.Error == nil || r.Error.Code != protocol.UnknownPolicy {
		t.Fatalf("want unknown_policy, got %+v", r)
	}
}

func TestKyvernoCompileSharesAKubernetesValidatorAndReleaseFreesIt(t *testing.T) {
	s := NewStore()
	compile(t, s, "k8s", vap, false)
	if r := compile(t, s, "kyverno", vap, true); !r.OK {
		t.Fatalf("kyverno compile: %+v", r)
	}
	if s.sharedHits != 1 || s.shared.len() != 1 {
		t.Fatalf("shared hits %d, shared %d", s.sharedHits, s.shared.len())
	}
	// CEL only Kyverno's libraries compile is compiled in Kyverno's environment, not shared.
	kyvernoOnly := strings.Replace(vap, `variables.n <= 5`, `image('nginx').registry() == 'docker.io'`, 1)
	if r := compile(t, s, "image", kyvernoOnly, true); !r.OK {
		t.Fatalf("kyverno-only compile: %+v", r)
	}
	if r := compile(t, s, "image-k8s", kyvernoOnly, false); r.OK {
		t.Fatalf("the Kubernetes environment has no image(): %+v", r)
	}
	for _, id := range []string{"k8s", "kyverno", "image", "image-k8s"} {
		s.Release(id)
	}
	if len(s.policies) != 0 || s.shared.len() != 0 || s.compositions.len() != 0 {
		t.Fatalf("left after release: %d policies, %d shared, %d compositions", len(s.policies), s.shared.len(), s.compositions.len())
	}
}

func TestKyvernoCompilesItselfWhereOrValueMayMeetAValueThatIsNotAnOptional(t *testing.T) {
	s := NewStore()
	// object.spec.replicas is an int: Kyverno's cel-go hands it back, the Kubernetes one errs.
	plain := strings.Replace(vap, `variables.n <= 5`, `object.spec.replicas.orValue(0) <= 5`, 1)
	compile(t, s, "k8s", plain, false)
	compile(t, s, "kyverno", plain, true)
	if s.sharedHits != 0 {
		t.Fatalf("shared: %d", s.sharedHits)
	}
	decision := func(id string) protocol.Decision {
		r := s.Evaluate(&protocol.Request{ID: id, Admission: deployment(7)})
		return r.Bindings[0].Decisions[0]
	}
	if d := decision("kyverno"); d.Action != "deny" || d.Message != "too many: 7" {
		t.Errorf("kyverno: %+v", d)
	}
	if d := decision("k8s"); d.Evaluation != "error" || !strings.Contains(d.Message, "no such overload") {
		t.Errorf("kubernetes: %+v", d)
	}
	// On an optional the two agree, and the compile is shared.
	optional := strings.Replace(vap, `variables.n <= 5`, `object.spec.?replicas.orValue(0) <= 5`, 1)
	compile(t, s, "k8s-opt", optional, false)
	compile(t, s, "kyverno-opt", optional, true)
	if s.sharedHits != 1 {
		t.Fatalf("not shared: %d", s.sharedHits)
	}
}

func TestPoliciesWithTheSameVariablesShareOneComposition(t *testing.T) {
	s := NewStore()
	compile(t, s, "a", vap, false)
	other := strings.Replace(strings.Replace(vap, `"name":"replicas"`, `"name":"other"`, 1), `<= 5`, `<= 9`, 1)
	compile(t, s, "b", other, false)
	if s.compositions.len() != 1 || s.compositionHits != 1 {
		t.Fatalf("compositions %d, hits %d", s.compositions.len(), s.compositionHits)
	}
}

func TestSelectParamsFollowsTheBindingsParamRef(t *testing.T) {
	cm := func(ns, name string, labels map[string]string) *unstructured.Unstructured {
		o := &unstructured.Unstructured{Object: map[string]any{}}
		o.SetAPIVersion("v1")
		o.SetKind("ConfigMap")
		o.SetNamespace(ns)
		o.SetName(name)
		o.SetLabels(labels)
		return o
	}
	all := []*unstructured.Unstructured{cm("shop", "limits", map[string]string{"tier": "a"}), cm("other", "limits", nil), cm("shop", "x", nil)}
	kind := &v1.ParamKind{APIVersion: "v1", Kind: "ConfigMap"}
	deny := v1.DenyAction
	allow := v1.AllowAction
	byName, err := selectParams(kind, &v1.ParamRef{Name: "limits", ParameterNotFoundAction: &deny}, all, "shop")
	if err != nil || len(byName) != 1 || byName[0].(*unstructured.Unstructured).GetNamespace() != "shop" {
		t.Fatalf("by name in the request's namespace: %v %v", byName, err)
	}
	bySelector, _ := selectParams(kind, &v1.ParamRef{Selector: &metav1.LabelSelector{MatchLabels: map[string]string{"tier": "a"}}}, all, "shop")
	if len(bySelector) != 1 {
		t.Fatalf("by selector: %v", bySelector)
	}
	if _, err := selectParams(kind, &v1.ParamRef{Name: "none", ParameterNotFoundAction: &deny}, all, "shop"); err == nil {
		t.Fatal("a missing param with Deny: want an error")
	}
	if got, err := selectParams(kind, &v1.ParamRef{Name: "none", ParameterNotFoundAction: &allow}, all, "shop"); err != nil || len(got) != 0 {
		t.Fatalf("a missing param with Allow: %v %v", got, err)
	}
}

func TestExprAnswersValuesAndTypedErrors(t *testing.T) {
	if r := Expr(&protocol.Request{Expression: "1 + 2"}); !r.OK || string(r.Value) != "3" || r.Type != "int" {
		t.Fatalf("1 + 2: %+v", r)
	}
	if r := Expr(&protocol.Request{Expression: "1 / 0"}); r.Error == nil || r.Error.Code != protocol.EvaluationError {
		t.Fatalf("1 / 0: %+v", r)
	}
	if r := Expr(&protocol.Request{Expression: "nope("}); r.Error == nil || r.Error.Code != protocol.CompileError {
		t.Fatalf("nope(: %+v", r)
	}
}

func TestAHeldAdmissionIsDecodedOnceAndAlikePoliciesShareTheirAnswer(t *testing.T) {
	s := NewStore()
	compile(t, s, "k8s", vap, false)
	kyvernoBinding := strings.Replace(strings.Replace(binding, `"name":"replicas"}`, `"name":"kyverno-replicas"}`, 1), `"Deny"`, `"Audit"`, 1)
	if r := s.Compile(&protocol.Request{ID: "kyv", Policy: json.RawMessage(vap), Bindings: []json.RawMessage{json.RawMessage(kyvernoBinding)}, Kyverno: true}); !r.OK {
		t.Fatalf("compile: %+v", r)
	}
	first := s.Evaluate(&protocol.Request{ID: "k8s", Admission: deployment(7), AdmissionKey: "a1"})
	// The key alone: the admission held, and the Kyverno compile of the same CEL answered from the first.
	second := s.Evaluate(&protocol.Request{ID: "kyv", AdmissionKey: "a1"})
	if s.answeredHits != 1 || !second.OK || second.Bindings[0].Decisions[0].Message != "too many: 7" {
		t.Fatalf("second: %+v (hits %d)", second, s.answeredHits)
	}
	if second.Bindings[0].Binding != "kyverno-replicas" || second.Bindings[0].ValidationActions[0] != "Audit" || first.Bindings[0].ValidationActions[0] != "Deny" {
		t.Fatalf("each answer keeps its own binding: %+v / %+v", first.Bindings[0], second.Bindings[0])
	}
	// Another admission replaces the held one; its key alone is then unknown.
	s.Evaluate(&protocol.Request{ID: "k8s", Admission: deployment(3), AdmissionKey: "a2"})
	if r := s.Evaluate(&protocol.Request{ID: "k8s", AdmissionKey: "a1"}); r.OK || r.Error.Code != protocol.UnknownAdmission {
		t.Fatalf("want unknown_admission, got %+v", r)
	}
	if r := s.Evaluate(&protocol.Request{ID: "kyv", AdmissionKey: "a2"}); r.Bindings[0].Decisions[0].Action != "admit" || s.answeredHits != 2 {
		t.Fatalf("a2: %+v", r)
	}
}

func TestKyvernoExceptionsAreReadInValidationsAndVariables(t *testing.T) {
	s := NewStore()
	policy := strings.NewReplacer(
		`"object.spec.replicas"`, `"object.spec.replicas <= 5 || string(object.spec.replicas) in exceptions.allowedValues"`,
		`"variables.n <= 5"`, `"variables.n"`,
		`'too many: ' + string(variables.n)`, `'too many: ' + string(object.spec.replicas) + ' (allowed ' + exceptions.allowedValues.join(',') + ')'`,
	).Replace(vap)
	if r := compile(t, s, "k", policy, true); !r.OK {
		t.Fatalf("compile: %+v", r)
	}
	if r := compile(t, s, "plain", policy, false); r.OK {
		t.Fatalf("exceptions is Kyverno's variable, not the API server's: %+v", r)
	}
	decision := func(e *protocol.ExceptionValues) protocol.Decision {
		r := s.Evaluate(&protocol.Request{ID: "k", Admission: deployment(7), Exceptions: e})
		if !r.OK || len(r.Bindings) != 1 || len(r.Bindings[0].Decisions) != 1 {
			t.Fatalf("evaluate: %+v", r)
		}
		return r.Bindings[0].Decisions[0]
	}
	if d := decision(nil); d.Action != "deny" || d.Message != "too many: 7 (allowed )" {
		t.Fatalf("no exception: %+v", d)
	}
	if d := decision(&protocol.ExceptionValues{AllowedValues: []string{"7", "9"}}); d.Action != "admit" {
		t.Fatalf("7 allowed by an exception: %+v", d)
	}
	if d := decision(&protocol.ExceptionValues{AllowedValues: []string{"9"}}); d.Action != "deny" || d.Message != "too many: 7 (allowed 9)" {
		t.Fatalf("9 only: %+v", d)
	}
	if d := decision(nil); d.Action != "deny" {
		t.Fatalf("the next evaluation without exceptions sees none: %+v", d)
	}
}
