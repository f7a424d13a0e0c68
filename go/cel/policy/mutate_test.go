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
