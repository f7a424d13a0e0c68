package policy

import (
	"encoding/json"
	"strings"
	"testing"

	"policyc/cel/protocol"
)

const mapPolicy = `{"apiVersion":"admissionregistration.k8s.io/v1beta1","kind":"MutatingAdmissionPolicy","metadata":{"name":"defaults"},
"spec":{"matchConstraints":{"resourceRules":[{"apiGroups":["apps"],"apiVersions":["v1"],"operations":["CREATE"],"resources":["deployments"]}]},
"mutations":[
 {"patchType":"ApplyConfiguration","applyConfiguration":{"expression":"has(object.spec.replicas) ? Object{} : Object{spec: Object.spec{replicas: 2}}"}},
 {"patchType":"JSONPatch","jsonPatch":{"expression":"[JSONPatch{op: \"add\", path: \"/metadata/labels\", value: {\"replicas\": string(object.spec.replicas)}}]"}}]}}`

const mapBinding = `{"apiVersion":"admissionregistration.k8s.io/v1beta1","kind":"MutatingAdmissionPolicyBinding","metadata":{"name":"defaults"},"spec":{"policyName":"defaults"}}`

func compileMutating(s *Store, id, policy string) protocol.Response {
	return s.CompileMutating(&protocol.Request{Op: "compile-mutating", ID: id, Policy: json.RawMessage(policy), Bindings: []json.RawMessage{json.RawMessage(mapBinding)}})
}

func TestMutateAppliesEachMutationToTheResultOfTheOneBefore(t *testing.T) {
	s := NewStore()
	if r := compileMutating(s, "m", mapPolicy); !r.OK {
		t.Fatalf("compile: %+v", r)
	}
	a := deployment(0)
	var obj map[string]any
	_ = json.Unmarshal(a.Object, &obj)
	delete(obj["spec"].(map[string]any), "replicas")
	a.Object, _ = json.Marshal(obj)
	r := s.Mutate(&protocol.Request{ID: "m", Admission: a})
	if !r.OK || r.Matched == nil || !*r.Matched {
		t.Fatalf("mutate: %+v", r)
	}
	// The ApplyConfiguration defaulted replicas; the JSONPatch after it read the defaulted value.
	if got := string(r.Value); !strings.Contains(got, `"replicas":2`) || !strings.Contains(got, `"labels":{"replicas":"2"}`) {
		t.Fatalf("mutated object: %s", got)
	}
}

func TestMutateSkipsWhatItsMatchConstraintsLeaveOut(t *testing.T) {
	s := NewStore()
	compileMutating(s, "m", mapPolicy)
	a := deployment(1)
	a.Operation = "UPDATE"
	r := s.Mutate(&protocol.Request{ID: "m", Admission: a})
	if !r.OK || r.Matched == nil || *r.Matched || r.Value != nil {
		t.Fatalf("want not matched, got %+v", r)
	}
}

func TestMutatingCompileErrorsNameTheMutationsField(t *testing.T) {
	s := NewStore()
	bad := strings.Replace(mapPolicy, `value: 2`, `value: 'x'`, 1)
	bad = strings.Replace(bad, `replicas: 2`, `replicas: 2 + 'x'`, 1)
	r := compileMutating(s, "bad", bad)
	if r.OK || r.Error == nil || r.Error.Code != protocol.CompileError || len(r.Problems) == 0 {
		t.Fatalf("want a compile_error, got %+v", r)
	}
	if r.Problems[0].Field != "spec.mutations[0].applyConfiguration.expression" {
		t.Fatalf("field: %+v", r.Problems)
	}
	if u := s.Mutate(&protocol.Request{ID: "bad", Admission: deployment(1)}); u.Error == nil || u.Error.Code != protocol.UnknownPolicy {
		t.Fatalf("a policy that did not compile is unknown: %+v", u)
	}
}

func TestAnApplyConfigurationOfAnAtomicMapIsRefusedAsTheAPIServerRefusesIt(t *testing.T) {
	s := NewStore()
	p := strings.Replace(mapPolicy, `Object{spec: Object.spec{replicas: 2}}`, `Object{spec: Object.spec{selector: Object.spec.selector{matchLabels: {'a': 'b'}}}}`, 1)
	p = strings.Replace(p, `has(object.spec.replicas) ? Object{} : `, ``, 1)
	if r := compileMutating(s, "m", p); !r.OK {
		t.Fatalf("compile: %+v", r)
	}
	r := s.Mutate(&protocol.Request{ID: "m", Admission: deployment(1)})
	if r.Error == nil || !strings.Contains(r.Error.Message, "atomic") {
		t.Fatalf("want the API server's refusal of an atomic field, got %+v", r)
	}
}

func TestAMatchConditionThatDoesNotCompileIsAProblemAtItsField(t *testing.T) {
	s := NewStore()
	p := strings.Replace(mapPolicy, `"mutations":[`, `"matchConditions":[{"name":"ok","expression":"true"},{"name":"bad","expression":"object.spec.replicas + 'x' == 1"}],"mutations":[`, 1)
	r := compileMutating(s, "m", p)
	if r.OK || len(r.Problems) != 1 || r.Problems[0].Field != "spec.matchConditions[1].expression" {
		t.Fatalf("want one problem at spec.matchConditions[1].expression, got %+v", r)
	}
	ok := strings.Replace(p, `{"name":"bad","expression":"object.spec.replicas + 'x' == 1"}`, `{"name":"replicas","expression":"object.spec.replicas > 1"}`, 1)
	if r := compileMutating(s, "m2", ok); !r.OK {
		t.Fatalf("compile: %+v", r)
	}
	if r := s.Mutate(&protocol.Request{ID: "m2", Admission: deployment(1)}); !r.OK || *r.Matched {
		t.Fatalf("a false match condition: not matched, got %+v", r)
	}
}

func TestAKyvernoCompileOfTheSamePolicyReusesTheKubernetesCompileAndItsAnswer(t *testing.T) {
	s := NewStore()
	if r := compileMutating(s, "k8s", mapPolicy); !r.OK {
		t.Fatalf("compile: %+v", r)
	}
	// A Kyverno MutatingPolicy of the same spec under another name (as the kyverno engine sends it).
	renamed := strings.Replace(mapPolicy, `"name":"defaults"`, `"name":"other"`, 1)
	kyv := s.CompileMutating(&protocol.Request{ID: "kyv", Policy: json.RawMessage(renamed), Bindings: []json.RawMessage{json.RawMessage(mapBinding)}, Kyverno: true})
	if !kyv.OK || s.sharedHits != 1 {
		t.Fatalf("want the Kyverno compile answered from the Kubernetes one: %+v, hits %d", kyv, s.sharedHits)
	}
	first := s.Mutate(&protocol.Request{ID: "k8s", Admission: deployment(0), AdmissionKey: "a1"})
	second := s.Mutate(&protocol.Request{ID: "kyv", AdmissionKey: "a1"})
	if !first.OK || !second.OK || string(first.Value) != string(second.Value) || s.answeredHits != 1 {
		t.Fatalf("want one answer shared: %+v / %+v (hits %d)", first, second, s.answeredHits)
	}
	// A new admission under a new key is mutated again, not answered from the last one.
	a := deployment(0)
	a.Operation = "UPDATE"
	if r := s.Mutate(&protocol.Request{ID: "kyv", Admission: a, AdmissionKey: "a2"}); !r.OK || *r.Matched {
		t.Fatalf("an UPDATE the policy leaves out: not matched, got %+v", r)
	}
	// Released, the Kubernetes compile stays shared while the Kyverno one holds it.
	s.Release("k8s")
	if r := s.Mutate(&protocol.Request{ID: "kyv", Admission: deployment(0)}); !r.OK || !*r.Matched {
		t.Fatalf("after the Kubernetes policy's release: %+v", r)
	}
	// Dropped with the last policy holding it.
	s.Release("kyv")
	if s.sharedMutations.len() != 0 {
		t.Fatalf("shared mutations left after every release: %d", s.sharedMutations.len())
	}
}

func TestKyvernoMutationsReadExceptions(t *testing.T) {
	s := NewStore()
	policy := `{"apiVersion":"admissionregistration.k8s.io/v1","kind":"MutatingAdmissionPolicy","metadata":{"name":"tier"},
"spec":{"matchConstraints":{"resourceRules":[{"apiGroups":[""],"apiVersions":["v1"],"operations":["CREATE"],"resources":["configmaps"]}]},
"mutations":[{"patchType":"JSONPatch","jsonPatch":{"expression":"[JSONPatch{op: 'add', path: '/data/allowed', value: exceptions.allowedValues.join(',')}]"}}]}}`
	binding := `{"apiVersion":"admissionregistration.k8s.io/v1","kind":"MutatingAdmissionPolicyBinding","metadata":{"name":"tier"},"spec":{"policyName":"tier"}}`
	r := s.CompileMutating(&protocol.Request{Op: "compile-mutating", ID: "m", Policy: json.RawMessage(policy), Bindings: []json.RawMessage{json.RawMessage(binding)}, Kyverno: true})
	if !r.OK {
		t.Fatalf("compile: %+v", r)
	}
	obj, _ := json.Marshal(map[string]any{"apiVersion": "v1", "kind": "ConfigMap", "metadata": map[string]any{"name": "c", "namespace": "n"}, "data": map[string]any{}})
	admission := &protocol.Admission{Operation: "CREATE", Kind: protocol.GVK{Version: "v1", Kind: "ConfigMap"},
		Resource: protocol.GVR{Version: "v1", Resource: "configmaps"}, Name: "c", Namespace: "n", Object: obj}
	allowed := func(e *protocol.ExceptionValues) string {
		out := s.Mutate(&protocol.Request{ID: "m", Admission: admission, Exceptions: e})
		var o map[string]any
		if err := json.Unmarshal(out.Value, &o); err != nil {
			t.Fatalf("mutate: %+v", out)
		}
		return o["data"].(map[string]any)["allowed"].(string)
	}
	if got := allowed(&protocol.ExceptionValues{AllowedValues: []string{"a", "b"}}); got != "a,b" {
		t.Fatalf("with values: %q", got)
	}
	if got := allowed(nil); got != "" {
		t.Fatalf("without: %q", got)
	}
}
