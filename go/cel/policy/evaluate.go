// Evaluating a compiled policy on an admission request: the matcher, the namespace lister, the
// authorizer answers and the validator; and single expressions for the bridge tests.

package policy

import (
	"context"
	"encoding/json"
	"fmt"

	celgo "cel.dev/cel-go/cel"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
	v1 "k8s.io/api/admissionregistration/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	utiljson "k8s.io/apimachinery/pkg/util/json"
	"k8s.io/apimachinery/pkg/util/version"
	"k8s.io/apiserver/pkg/admission"
	"k8s.io/apiserver/pkg/admission/plugin/policy/generic"
	"k8s.io/apiserver/pkg/admission/plugin/policy/matching"
	"k8s.io/apiserver/pkg/admission/plugin/policy/validating"
	celconfig "k8s.io/apiserver/pkg/apis/cel"
	"k8s.io/apiserver/pkg/authentication/user"
	"k8s.io/apiserver/pkg/authorization/authorizer"
	"k8s.io/apiserver/pkg/cel/environment"
	corelisters "k8s.io/client-go/listers/core/v1"

	"policyc/cel/kyverno"
	"policyc/cel/protocol"
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

// decodeObjects decodes a list of objects, leaving out nulls.
func decodeObjects(raws []json.RawMessage) ([]*unstructured.Unstructured, error) {
	var out []*unstructured.Unstructured
	for _, raw := range raws {
		o, err := decodeObject(raw)
		if err != nil {
			return nil, err
		}
		if o != nil {
			out = append(out, o)
		}
	}
	return out, nil
}

func decodeObject(raw json.RawMessage) (*unstructured.Unstructured, error) {
	// The API server's JSON decoding: whole numbers become int64, as CEL's int.
	return decodeWith(raw, utiljson.Unmarshal)
}

func decodeWith(raw json.RawMessage, unmarshal func([]byte, any) error) (*unstructured.Unstructured, error) {
	if len(raw) == 0 || string(raw) == "null" {
		return nil, nil
	}
	var m map[string]interface{}
	if err := unmarshal(raw, &m); err != nil {
		return nil, err
	}
	return &unstructured.Unstructured{Object: m}, nil
}

// decodeFloatObject decodes an object whose numbers are all float64 (Go's plain JSON decoding),
// as the Kyverno CLI's test command makes its resources: CEL reads them as doubles.
func decodeFloatObject(raw json.RawMessage) (*unstructured.Unstructured, error) {
	return decodeWith(raw, json.Unmarshal)
}

func answerAuthorizer(answers []protocol.AuthzAnswer) authorizer.Authorizer {
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

// admissionInput is an admission request decoded once: what every policy evaluated on it reads.
// A host evaluating many policies on one object sends it once under a key (Request.AdmissionKey)
// and names the key afterwards, so the object is decoded once, not once per policy.
type admissionInput struct {
	in             *protocol.Admission
	nsMap          namespaces
	params         []*unstructured.Unstructured
	lookups        *kyverno.Lookups
	contextObjects []*unstructured.Unstructured
	attr           admission.Attributes
	matcher        generic.PolicyMatcher
	authz          authorizer.Authorizer
}

// decodeAdmission reads an admission request: its objects, namespaces, params or cluster, user.
func (s *Store) decodeAdmission(in *protocol.Admission) (*admissionInput, *protocol.Response) {
	fail := func(code protocol.Code, format string, args ...any) (*admissionInput, *protocol.Response) {
		r := protocol.Fail(code, format, args...)
		return nil, &r
	}
	decode := decodeObject
	if in.FloatNumbers {
		decode = decodeFloatObject
	}
	obj, err := decode(in.Object)
	if err != nil {
		return fail(protocol.InvalidDocument, "object: %v", err)
	}
	old, err := decode(in.OldObject)
	if err != nil {
		return fail(protocol.InvalidDocument, "oldObject: %v", err)
	}
	a := &admissionInput{in: in, nsMap: namespaces{}}
	for _, raw := range in.Namespaces {
		ns, err := decodeNamespace(raw)
		if err != nil {
			return fail(protocol.InvalidDocument, "namespace: %v", err)
		}
		a.nsMap[ns.Name] = ns
	}
	if in.Cluster != "" {
		cl, ok := s.clusters[in.Cluster]
		if !ok {
			return fail(protocol.BadRequest, "unknown cluster %s", in.Cluster)
		}
		a.params, a.lookups = cl.objects, cl.lookups
	} else {
		if a.params, err = decodeObjects(in.Params); err != nil {
			return fail(protocol.InvalidDocument, "params: %v", err)
		}
		a.lookups = kyverno.NewLookups(a.params)
	}
	if in.Kyverno != nil {
		// A Kyverno CLI test's lookups see its Context file's resources, not the resources under test.
		if a.contextObjects, err = decodeObjects(in.Kyverno.Resources); err != nil {
			return fail(protocol.InvalidDocument, "context resource: %v", err)
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
	a.attr = admission.NewAttributesRecord(object, oldObject, kind, in.Namespace, in.Name, resource, in.Subresource, admission.Operation(in.Operation), nil, in.DryRun, u)
	a.matcher = generic.NewPolicyMatcher(matching.NewMatcher(a.nsMap, nil))
	a.authz = answerAuthorizer(in.Authorizer)
	return a, nil
}

// admissionOf is the request's admission: decoded from Admission (and held under AdmissionKey
// when it has one), or the one held under AdmissionKey.
func (s *Store) admissionOf(req *protocol.Request) (*admissionInput, *protocol.Response) {
	if req.Admission == nil {
		if req.AdmissionKey != "" && req.AdmissionKey == s.heldKey && s.held != nil {
			return s.held, nil
		}
		r := protocol.Fail(protocol.BadRequest, "no admission input")
		if req.AdmissionKey != "" {
			r = protocol.Fail(protocol.UnknownAdmission, "no admission held under %s", req.AdmissionKey)
		}
		return nil, &r
	}
	a, fail := s.decodeAdmission(req.Admission)
	if fail != nil {
		return nil, fail
	}
	if req.AdmissionKey != "" {
		s.held, s.heldKey, s.answered = a, req.AdmissionKey, map[string]protocol.Response{}
	}
	return a, nil
}

// compiledFor is what the store compiled under the request's id (an unknown id is a typed error
// naming what it is) and the request's admission.
func compiledFor[T any](s *Store, compiled map[string]T, req *protocol.Request, what string) (T, *admissionInput, *protocol.Response) {
	c, ok := compiled[req.ID]
	if !ok {
		r := protocol.Fail(protocol.UnknownPolicy, "unknown %s %s", what, req.ID)
		return c, nil, &r
	}
	a, fail := s.admissionOf(req)
	return c, a, fail
}

// Evaluate evaluates the compiled policy of the request's id on its admission request: the
// policy's matchConstraints, then each binding's match, params, match conditions and validations.
func (s *Store) Evaluate(req *protocol.Request) protocol.Response {
	c, a, fail := compiledFor(s, s.policies, req, "policy")
	if fail != nil {
		return *fail
	}
	// What PolicyExceptions allow this policy on this request (Kyverno's `exceptions`).
	kyverno.SetExceptions(req.Exceptions)
	// Policies that evaluate alike on a held admission share one answer, their own bindings' names
	// and validation actions put back (not when exceptions allow values: they are the policy's own).
	shareable := req.AdmissionKey != "" && c.sameAs != "" && len(req.Bindings) == 0 && req.Exceptions == nil
	if shareable {
		if r, ok := s.answered[c.sameAs]; ok {
			s.answeredHits++
			return renamed(r, c.bindings)
		}
	}
	r := s.evaluate(c, a, req)
	if shareable && r.OK {
		s.answered[c.sameAs] = r
	}
	return r
}

// renamed is an answer with the bindings' names and validation actions of another policy that
// evaluates alike (same number of bindings, in order).
func renamed(r protocol.Response, bindings []*v1.ValidatingAdmissionPolicyBinding) protocol.Response {
	out := r
	out.Bindings = make([]protocol.BindingResult, len(r.Bindings))
	for i, br := range r.Bindings {
		br.Binding = bindings[i].Name
		br.ValidationActions = nil
		for _, a := range bindings[i].Spec.ValidationActions {
			br.ValidationActions = append(br.ValidationActions, string(a))
		}
		out.Bindings[i] = br
	}
	return out
}

// evaluate is Evaluate on a decoded admission.
func (s *Store) evaluate(c *compiled, a *admissionInput, req *protocol.Request) protocol.Response {
	in, nsMap, params, attr, matcher, authz := a.in, a.nsMap, a.params, a.attr, a.matcher, a.authz
	kyverno.SetRequest(a.lookups, in.Kyverno, a.contextObjects)
	kind := attr.GetKind()
	var err error
	o := sharedObjectInterfaces

	matches, matchResource, matchKind, err := matcher.DefinitionMatches(attr, o, validating.NewValidatingAdmissionPolicyAccessor(c.policy))
	if err != nil {
		return protocol.Fail(protocol.EvaluationError, "matchConstraints: %v", err)
	}
	if !matches {
		f := false
		return protocol.Response{OK: true, Matched: &f}
	}
	t := true
	out := protocol.Response{OK: true, Matched: &t}
	versioned, err := admission.NewVersionedAttributes(attr, matchKind, o)
	if err != nil {
		return protocol.Fail(protocol.EvaluationError, "%v", err)
	}
	var namespace *corev1.Namespace
	if c.readsNamespace && in.Namespace != "" && !(kind.Kind == "Namespace" && kind.Version == "v1" && kind.Group == "") {
		namespace = nsMap.get(in.Namespace)
	}
	bindings := c.bindings
	if len(req.Bindings) > 0 {
		if bindings, err = decodeBindings(req.Bindings); err != nil {
			return protocol.Fail(protocol.InvalidDocument, "binding: %v", err)
		}
	}
	for _, binding := range bindings {
		br := protocol.BindingResult{Binding: binding.Name}
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
				br.Decisions = append(br.Decisions, protocol.Decision{Action: "deny", Evaluation: "error", Message: "failed to configure binding: " + err.Error()})
			}
			out.Bindings = append(out.Bindings, br)
			continue
		}
		for _, p := range selected {
			r := c.validator.Validate(context.Background(), matchResource, versioned, p, namespace, celconfig.RuntimeCELCostBudget, authz)
			for _, d := range r.Decisions {
				br.Decisions = append(br.Decisions, protocol.Decision{Action: string(d.Action), Evaluation: string(d.Evaluation), Message: d.Message, Reason: string(d.Reason)})
			}
			for _, a := range r.AuditAnnotations {
				br.AuditAnnotations = append(br.AuditAnnotations, protocol.Annotation{Key: a.Key, Value: a.Value, Action: string(a.Action), Error: a.Error})
			}
		}
		out.Bindings = append(out.Bindings, br)
	}
	return out
}

// exprNames are the admission variables an expression of Expr may read (authorizer unset).
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
	set, err := BaseEnvSet().Extend(environment.VersionedOptions{IntroducedVersion: version.MajorMinor(1, 0), EnvOptions: opts})
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

// Expr compiles and evaluates one expression in the Kubernetes base environment with the
// admission variables, answering its value as JSON and its CEL type, or the error.
func Expr(req *protocol.Request) protocol.Response {
	names := exprNames
	env, err := exprEnvironment()
	if err != nil {
		return protocol.Fail(protocol.Internal, "%v", err)
	}
	ast, iss := env.Compile(req.Expression)
	if iss.Err() != nil {
		return protocol.Fail(protocol.CompileError, "compile: %v", iss.Err())
	}
	prg, err := env.Program(ast, celgo.CostLimit(celconfig.PerCallLimit))
	if err != nil {
		return protocol.Fail(protocol.CompileError, "program: %v", err)
	}
	activation := map[string]interface{}{}
	for _, n := range names {
		activation[n] = nil
	}
	for k, raw := range req.Vars {
		var v interface{}
		if err := utiljson.Unmarshal(raw, &v); err != nil {
			return protocol.Fail(protocol.BadRequest, "%s: %v", k, err)
		}
		activation[k] = v
	}
	val, _, err := prg.Eval(activation)
	if err != nil {
		return protocol.Fail(protocol.EvaluationError, "eval: %v", err)
	}
	native, err := val.ConvertToNative(kyverno.JSONValueType)
	if err != nil {
		return protocol.Response{OK: true, Type: val.Type().TypeName(), Value: json.RawMessage(protocol.Quote(fmt.Sprint(val.Value())))}
	}
	enc, err := protojson.Marshal(native.(proto.Message))
	if err != nil {
		return protocol.Fail(protocol.Internal, "%v", err)
	}
	return protocol.Response{OK: true, Type: val.Type().TypeName(), Value: enc}
}

// cluster is a cluster's objects, decoded and indexed once (op cluster), for the requests that name it.
type cluster struct {
	objects []*unstructured.Unstructured
	lookups *kyverno.Lookups
}

// SetCluster decodes and indexes the objects of a cluster under the request's id.
func (s *Store) SetCluster(req *protocol.Request) protocol.Response {
	objects, err := decodeObjects(req.Objects)
	if err != nil {
		return protocol.Fail(protocol.InvalidDocument, "cluster object: %v", err)
	}
	s.clusters[req.ID] = &cluster{objects: objects, lookups: kyverno.NewLookups(objects)}
	return protocol.Response{OK: true}
}

// ForgetCluster drops a cluster no request will name again.
func (s *Store) ForgetCluster(id string) {
	delete(s.clusters, id)
}
