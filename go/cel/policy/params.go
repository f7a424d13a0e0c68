// Selecting the params objects a binding's paramRef names, as the API server does.

package policy

import (
	"errors"
	"fmt"

	v1 "k8s.io/api/admissionregistration/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime"
)

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
