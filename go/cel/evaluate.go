// Evaluating a compiled policy on an admission request: the matcher, the namespace lister, the
// authorizer answers and the validator; and single expressions for the bridge tests.

package main

import (
	"context"
	"encoding/json"
	"fmt"

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
	"k8s.io/apiserver/pkg/admission/plugin/policy/generic"
	"k8s.io/apiserver/pkg/admission/plugin/policy/matching"
	"k8s.io/apiserver/pkg/admission/plugin/policy/validating"
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
	currentContext = &kyvernoContext{}
	if in.Kyverno != nil {
		currentContext = in.Kyverno
		// A Kyverno CLI test's lookups see its Context file's resources, not the resources under test.
		lookupObjects = nil
		for _, raw := range in.Kyverno.Resources {
			o, err := decodeObject(raw)
			if err != nil {
				return response{Error: "context resource: " + err.Error()}
			}
			if o != nil {
				lookupObjects = append(lookupObjects, o)
			}
		}
	}
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
	if c.readsNamespace && in.Namespace != "" && !(kind.Kind == "Namespace" && kind.Version == "v1" && kind.Group == "") {
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
