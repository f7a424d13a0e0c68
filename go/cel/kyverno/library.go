// Package kyverno is Kyverno's CEL libraries, as policyc provides them to ValidatingPolicy and ClusterPolicy
// validate.cel expressions (Kyverno documentation "CEL Libraries"). policyc's own
// implementations, declared here one by one; a function not declared here fails to compile with
// "undeclared reference", naming it.
//
//	image(string), parseImageReference(string) -> image; isImage(string) -> bool
//	<image>.registry(), .repository(), .identifier(), .tag(), .digest() -> string; .containsDigest() -> bool
//	parseServiceAccount(string) -> {Name, Namespace}
//	resource.Get(apiVersion, resource, namespace, name) -> object   (answered from the test's objects)
//	resource.List(apiVersion, resource, namespace) -> {items: [...]}
//	resource.List(apiVersion, resource, namespace, labels)         (narrowed by labels)
//	and the libraries reading the test's context or transforming data: context.go
package kyverno

import (
	"fmt"
	"reflect"
	"regexp"
	"sort"
	"strings"

	celgo "cel.dev/cel-go/cel"
	"cel.dev/cel-go/common/decls"
	"cel.dev/cel-go/common/types"
	"cel.dev/cel-go/common/types/ref"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/util/version"
	"k8s.io/apiserver/pkg/cel/environment"

	"policyc/cel/protocol"
)

// ---------------------------------------------------------------- image references

var imageType = types.NewOpaqueType("kyverno.Image")

type imageRef struct {
	registry, repository, tag, digest string
}

func (i imageRef) ConvertToNative(t reflect.Type) (any, error) {
	return nil, fmt.Errorf("an image converts to no native type (%v)", t)
}
func (i imageRef) ConvertToType(t ref.Type) ref.Val {
	if t == types.TypeType {
		return imageType
	}
	return types.NewErr("an image converts to no %s", t.TypeName())
}
func (i imageRef) Equal(o ref.Val) ref.Val {
	other, ok := o.(imageRef)
	return types.Bool(ok && other == i)
}
func (i imageRef) Type() ref.Type { return imageType }
func (i imageRef) Value() any     { return i }

var (
	digestRe = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}$`)
	tagRe    = regexp.MustCompile(`^[\w][\w.-]{0,127}$`)
	pathRe   = regexp.MustCompile(`^[a-z0-9]+(?:(?:[._]|__|[-]*)[a-z0-9]+)*(?:/[a-z0-9]+(?:(?:[._]|__|[-]*)[a-z0-9]+)*)*$`)
	hostRe   = regexp.MustCompile(`^(?:[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?(?:\.[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)*|\[[0-9a-fA-F:]+\])(?::[0-9]+)?$`)
)

// parseImage reads a container image reference the way container runtimes do (the distribution
// reference grammar): [registry/]repository[:tag][@digest]. The registry is the first component
// when it has a dot or a port or is localhost; otherwise docker.io, where one-part names live
// under library/. A reference with neither tag nor digest has the tag latest.
func parseImage(s string) (imageRef, error) {
	var r imageRef
	rest := s
	if at := strings.Index(rest, "@"); at >= 0 {
		r.digest = rest[at+1:]
		rest = rest[:at]
		if !digestRe.MatchString(r.digest) {
			return r, fmt.Errorf("invalid image digest in %q", s)
		}
	}
	if colon := strings.LastIndex(rest, ":"); colon >= 0 && !strings.Contains(rest[colon:], "/") {
		r.tag = rest[colon+1:]
		rest = rest[:colon]
		if !tagRe.MatchString(r.tag) {
			return r, fmt.Errorf("invalid image tag in %q", s)
		}
	}
	first, remainder, found := strings.Cut(rest, "/")
	if found && (strings.ContainsAny(first, ".:") || first == "localhost" || strings.ToLower(first) != first) {
		if !hostRe.MatchString(first) {
			return r, fmt.Errorf("invalid image registry in %q", s)
		}
		r.registry, r.repository = first, remainder
	} else {
		r.registry, r.repository = "docker.io", rest
		if !strings.Contains(rest, "/") {
			r.repository = "library/" + rest
		}
	}
	if r.repository == "" || !pathRe.MatchString(r.repository) {
		return r, fmt.Errorf("invalid image repository in %q", s)
	}
	if r.tag == "" && r.digest == "" {
		r.tag = "latest"
	}
	return r, nil
}

func imageOf(v ref.Val) ref.Val {
	s, ok := v.(types.String)
	if !ok {
		return types.NoSuchOverloadErr()
	}
	r, err := parseImage(string(s))
	if err != nil {
		return types.NewErr("%s", err.Error())
	}
	return r
}

func imageString(f func(imageRef) string) func(ref.Val) ref.Val {
	return func(v ref.Val) ref.Val {
		i, ok := v.(imageRef)
		if !ok {
			return types.NoSuchOverloadErr()
		}
		return types.String(f(i))
	}
}

// ---------------------------------------------------------------- cluster lookups

// Lookups are cluster objects as resource.Get and List read them: by apiVersion and resource,
// in the API server's list order (namespace, then name). Built once per set of objects.
type Lookups struct {
	byResource map[string][]*unstructured.Unstructured
	// byNamespace: the same lists by apiVersion, resource and namespace, so a namespaced lookup
	// reads its namespace's objects, not every object of the resource.
	byNamespace map[string][]*unstructured.Unstructured
	// lists: resource.List's answers without a label filter, built once (the objects never change).
	lists map[string]ref.Val
}

// NewLookups indexes objects for lookups.
func NewLookups(objects []*unstructured.Unstructured) *Lookups {
	l := &Lookups{byResource: map[string][]*unstructured.Unstructured{}, byNamespace: map[string][]*unstructured.Unstructured{}, lists: map[string]ref.Val{}}
	for _, o := range objects {
		key := o.GetAPIVersion() + "\x00" + pluralOf(o.GetKind())
		l.byResource[key] = append(l.byResource[key], o)
	}
	for key, list := range l.byResource {
		sort.SliceStable(list, func(i, j int) bool {
			return list[i].GetNamespace()+"/"+list[i].GetName() < list[j].GetNamespace()+"/"+list[j].GetName()
		})
		for _, o := range list {
			k := key + "\x00" + o.GetNamespace()
			l.byNamespace[k] = append(l.byNamespace[k], o)
		}
	}
	return l
}

// lookupObjects are the cluster objects of the request being evaluated (a test's context,
// resources and params); set by SetRequest, read by resource.Get/List. Evaluation is
// single-threaded.
var lookupObjects = NewLookups(nil)

// SetRequest sets what the libraries read for the request about to be evaluated: the cluster
// objects resource.Get and List answer from, and a Kyverno CLI test's context (nil: none). When
// the context names resources, lookups see those instead of the objects, as the Kyverno CLI does.
func SetRequest(objects *Lookups, context *protocol.KyvernoContext, contextObjects []*unstructured.Unstructured) {
	lookupObjects = objects
	currentContext = &protocol.KyvernoContext{}
	if context != nil {
		currentContext = context
		lookupObjects = NewLookups(contextObjects)
	}
}

// pluralOf is the resource name of a kind, by the API's regular English plural (as kubectl's
// default RESTMapper guesses it).
func pluralOf(kind string) string {
	k := strings.ToLower(kind)
	switch {
	case strings.HasSuffix(k, "s"), strings.HasSuffix(k, "x"), strings.HasSuffix(k, "z"), strings.HasSuffix(k, "ch"), strings.HasSuffix(k, "sh"):
		return k + "es"
	case strings.HasSuffix(k, "y") && len(k) > 1 && !strings.ContainsRune("aeiou", rune(k[len(k)-2])):
		return k[:len(k)-1] + "ies"
	}
	return k + "s"
}

func lookup(apiVersion, resource, namespace string, name *string) []any {
	var out []any
	objects := lookupObjects.byResource[apiVersion+"\x00"+resource]
	if namespace != "" {
		objects = lookupObjects.byNamespace[apiVersion+"\x00"+resource+"\x00"+namespace]
	}
	for _, o := range objects {
		if name != nil && o.GetName() != *name {
			continue
		}
		out = append(out, o.Object)
	}
	return out
}

// listItems answers resource.List: the matching objects, narrowed by labels when given.
func listItems(apiVersion, resource, namespace string, labels map[string]string) ref.Val {
	key := apiVersion + "\x00" + resource + "\x00" + namespace
	if labels == nil {
		if v, ok := lookupObjects.lists[key]; ok {
			return v
		}
	}
	items := []any{}
	for _, o := range lookup(apiVersion, resource, namespace, nil) {
		obj := &unstructured.Unstructured{Object: o.(map[string]any)}
		keep := true
		for k, v := range labels {
			if obj.GetLabels()[k] != v {
				keep = false
			}
		}
		if keep {
			items = append(items, o)
		}
	}
	v := types.DefaultTypeAdapter.NativeToValue(map[string]any{"items": items})
	if labels == nil {
		lookupObjects.lists[key] = v
	}
	return v
}

func strArgs(args []ref.Val) ([]string, bool) {
	out := make([]string, len(args))
	for i, a := range args {
		s, ok := a.(types.String)
		if !ok {
			return nil, false
		}
		out[i] = string(s)
	}
	return out, true
}

// Library declares Kyverno's CEL functions, for an environment set to extend.
func Library() environment.VersionedOptions {
	str := celgo.StringType
	opts := []celgo.EnvOption{
		celgo.Function("image", celgo.Overload("kyverno_image_string", []*celgo.Type{str}, imageType, celgo.UnaryBinding(imageOf))),
		celgo.Function("parseImageReference", celgo.Overload("kyverno_parse_image_reference_string", []*celgo.Type{str}, imageType, celgo.UnaryBinding(imageOf))),
		celgo.Function("isImage", celgo.Overload("kyverno_is_image_string", []*celgo.Type{str}, celgo.BoolType, celgo.UnaryBinding(func(v ref.Val) ref.Val {
			s, ok := v.(types.String)
			if !ok {
				return types.NoSuchOverloadErr()
			}
			_, err := parseImage(string(s))
			return types.Bool(err == nil)
		}))),
		celgo.Function("registry", celgo.MemberOverload("kyverno_image_registry", []*celgo.Type{imageType}, str, celgo.UnaryBinding(imageString(func(i imageRef) string { return i.registry })))),
		celgo.Function("repository", celgo.MemberOverload("kyverno_image_repository", []*celgo.Type{imageType}, str, celgo.UnaryBinding(imageString(func(i imageRef) string { return i.repository })))),
		celgo.Function("tag", celgo.MemberOverload("kyverno_image_tag", []*celgo.Type{imageType}, str, celgo.UnaryBinding(imageString(func(i imageRef) string { return i.tag })))),
		celgo.Function("digest", celgo.MemberOverload("kyverno_image_digest", []*celgo.Type{imageType}, str, celgo.UnaryBinding(imageString(func(i imageRef) string { return i.digest })))),
		celgo.Function("identifier", celgo.MemberOverload("kyverno_image_identifier", []*celgo.Type{imageType}, str, celgo.UnaryBinding(imageString(func(i imageRef) string {
			if i.digest != "" {
				return i.digest
			}
			return i.tag
		})))),
		celgo.Function("containsDigest", celgo.MemberOverload("kyverno_image_contains_digest", []*celgo.Type{imageType}, celgo.BoolType, celgo.UnaryBinding(func(v ref.Val) ref.Val {
			i, ok := v.(imageRef)
			if !ok {
				return types.NoSuchOverloadErr()
			}
			return types.Bool(i.digest != "")
		}))),
		celgo.Function("parseServiceAccount", celgo.Overload("kyverno_parse_service_account_string", []*celgo.Type{str}, celgo.MapType(str, str), celgo.UnaryBinding(func(v ref.Val) ref.Val {
			s, ok := v.(types.String)
			if !ok {
				return types.NoSuchOverloadErr()
			}
			out := map[string]string{"Name": "", "Namespace": ""}
			if parts := strings.Split(string(s), ":"); len(parts) == 4 && parts[0] == "system" && parts[1] == "serviceaccount" {
				out["Namespace"], out["Name"] = parts[2], parts[3]
			}
			return types.DefaultTypeAdapter.NativeToValue(out)
		}))),
		// Qualified global functions, as cel-go's own math.greatest: `resource.Get(...)` resolves to them.
		celgo.Function("resource.Get", celgo.Overload("kyverno_resource_get", []*celgo.Type{str, str, str, str}, celgo.DynType, celgo.FunctionBinding(resourceGet("resource.Get")))),
		celgo.Function("resource.List",
			celgo.Overload("kyverno_resource_list", []*celgo.Type{str, str, str}, celgo.DynType, celgo.FunctionBinding(resourceList)),
			celgo.Overload("kyverno_resource_list_labels", []*celgo.Type{str, str, str, celgo.MapType(str, str)}, celgo.DynType, celgo.FunctionBinding(resourceListLabels))),
		// Kyverno 1.14's spelling of the same libraries (its `context` variable), which policies
		// written for it still use.
		celgo.Function("context.GetResource", celgo.Overload("kyverno_context_get_resource", []*celgo.Type{str, str, str, str}, celgo.DynType, celgo.FunctionBinding(resourceGet("context.GetResource")))),
		celgo.Function("context.ListResources", celgo.Overload("kyverno_context_list_resources", []*celgo.Type{str, str, str}, celgo.DynType, celgo.FunctionBinding(resourceList))),
		celgo.Function("context.GetConfigMap", celgo.Overload("kyverno_context_get_configmap", []*celgo.Type{str, str}, celgo.DynType, celgo.BinaryBinding(func(namespace, name ref.Val) ref.Val {
			return resourceGet("context.GetConfigMap")(types.String("v1"), types.String("configmaps"), namespace, name)
		}))),
	}
	opts = append(opts, kyvernoContextOptions()...)
	opts = append(opts, LegacyOptionalCalls()...)
	opts = append(opts, celgo.Variable(ExceptionsVariable, exceptionsType))
	return environment.VersionedOptions{IntroducedVersion: version.MajorMinor(1, 0), EnvOptions: opts}
}

// resourceGet answers resource.Get(apiVersion, resource, namespace, name) from the test's objects.
func resourceGet(spelling string) func(args ...ref.Val) ref.Val {
	return func(args ...ref.Val) ref.Val {
		s, ok := strArgs(args)
		if !ok {
			return types.NoSuchOverloadErr()
		}
		found := lookup(s[0], s[1], s[2], &s[3])
		if len(found) == 0 {
			return types.NewErr("%s: %s %s %s/%s not found in the test's objects", spelling, s[0], s[1], s[2], s[3])
		}
		return types.DefaultTypeAdapter.NativeToValue(found[0])
	}
}

// resourceList answers resource.List(apiVersion, resource, namespace).
func resourceList(args ...ref.Val) ref.Val {
	s, ok := strArgs(args)
	if !ok {
		return types.NoSuchOverloadErr()
	}
	return listItems(s[0], s[1], s[2], nil)
}

// resourceListLabels answers resource.List(apiVersion, resource, namespace, labels).
func resourceListLabels(args ...ref.Val) ref.Val {
	s, ok := strArgs(args[:3])
	if !ok {
		return types.NoSuchOverloadErr()
	}
	native, err := nativeOf(args[3])
	if err != nil {
		return types.NewErr("resource.List: %v", err)
	}
	labels := map[string]string{}
	for k, v := range native.(map[string]any) {
		labels[k] = fmt.Sprint(v)
	}
	return listItems(s[0], s[1], s[2], labels)
}

var kyvernoEnv *environment.EnvSet

// EnvSet is the base environment set extended with Kyverno's libraries, built once.
func EnvSet(base func() *environment.EnvSet) *environment.EnvSet {
	if kyvernoEnv == nil {
		set, err := base().Extend(Library())
		if err != nil {
			panic(err)
		}
		kyvernoEnv = set
	}
	return kyvernoEnv
}

var (
	undeclaredRe    = regexp.MustCompile(`undeclared reference to '([A-Za-z_][A-Za-z0-9_]*)'`)
	libraryFunction map[string][]string // namespace (resource, http, ...) -> its qualified functions
)

// ExplainCompileError names the function a compile error is about when cel-go reports a call of
// an unknown function of a library namespace as its namespace being undeclared:
// `resource.get(...)` (Kyverno spells it resource.Get) fails with "undeclared reference to
// 'resource'". The message then leads with the function and the library's own functions.
func ExplainCompileError(msg string) string {
	if undeclaredRe.FindStringSubmatch(msg) == nil {
		return msg
	}
	if libraryFunction == nil {
		env, err := celgo.NewEnv(Library().EnvOptions...)
		if err == nil {
			libraryFunction = QualifiedFunctions(env)
		}
	}
	return ExplainCompileErrorWith(msg, libraryFunction)
}

// QualifiedFunctions are an environment's functions named namespace.function, by namespace.
func QualifiedFunctions(env *celgo.Env) map[string][]string {
	out := map[string][]string{}
	for name := range env.Functions() {
		if ns, _, ok := strings.Cut(name, "."); ok {
			out[ns] = append(out[ns], name)
		}
	}
	for _, names := range out {
		sort.Strings(names)
	}
	return out
}

// ExplainCompileErrorWith is ExplainCompileError for an environment's own qualified functions.
func ExplainCompileErrorWith(msg string, libraryFunction map[string][]string) string {
	m := undeclaredRe.FindStringSubmatch(msg)
	if m == nil {
		return msg
	}
	known, ok := libraryFunction[m[1]]
	if !ok {
		return msg
	}
	call := regexp.MustCompile(`\b` + regexp.QuoteMeta(m[1]) + `\.([A-Za-z_][A-Za-z0-9_]*)\s*\(`).FindStringSubmatch(msg)
	if call == nil {
		return msg
	}
	return fmt.Sprintf("unknown function %s.%s (Kyverno's %s functions: %s): %s", m[1], call[1], m[1], strings.Join(known, ", "), msg)
}

// authzFunctions are the functions of Kyverno's libraries the Kyverno Authz Server's environment
// declares as well (the Kyverno SDK's resource, http, image and imagedata libraries).
var authzFunctions = []string{
	"image", "parseImageReference", "isImage", "registry", "repository", "tag", "digest", "identifier", "containsDigest",
	"image.GetMetadata", "resource.Get", "resource.List", "resource.Post", "http.Get", "http.Post",
}

// AuthzLibrary declares those functions, for ValidatingPolicies in HTTP and Envoy modes.
func AuthzLibrary() (celgo.EnvOption, error) {
	env, err := celgo.NewEnv(Library().EnvOptions...)
	if err != nil {
		return nil, err
	}
	declared := env.Functions()
	var picked []*decls.FunctionDecl
	for _, name := range authzFunctions {
		if fn, ok := declared[name]; ok {
			picked = append(picked, fn)
		}
	}
	return celgo.FunctionDecls(picked...), nil
}
