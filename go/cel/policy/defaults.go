// The API server's defaults for ValidatingAdmissionPolicies and bindings (what the apiserver's
// defaulting sets before a policy is stored), applied before compiling.

package policy

import (
	v1 "k8s.io/api/admissionregistration/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

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
