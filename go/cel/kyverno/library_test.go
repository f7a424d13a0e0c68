package kyverno

import (
	"strings"
	"testing"

	celgo "cel.dev/cel-go/cel"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apiserver/pkg/cel/environment"

	"policyc/cel/protocol"
)

func TestParseImageReadsReferencesAsContainerRuntimesDo(t *testing.T) {
	for _, c := range []struct {
		in                                string
		registry, repository, tag, digest string
	}{
		{"nginx", "docker.io", "library/nginx", "latest", ""},
		{"nginx:1.25", "docker.io", "library/nginx", "1.25", ""},
		{"team/app", "docker.io", "team/app", "latest", ""},
		{"registry.example.com/app:v1", "registry.example.com", "app", "v1", ""},
		{"localhost:5000/app", "localhost:5000", "app", "latest", ""},
		{"ghcr.io/o/app@sha256:" + sha, "ghcr.io", "o/app", "", "sha256:" + sha},
		{"ghcr.io/o/app:1@sha256:" + sha, "ghcr.io", "o/app", "1", "sha256:" + sha},
	} {
		r, err := parseImage(c.in)
		if err != nil {
			t.Errorf("%s: %v", c.in, err)
			continue
		}
		if r.registry != c.registry || r.repository != c.repository || r.tag != c.tag || r.digest != c.digest {
			t.Errorf("%s: got %+v", c.in, r)
		}
	}
	for _, bad := range []string{"Nginx", "app:", "app@sha256:xyz", "a//b"} {
		if _, err := parseImage(bad); err == nil {
			t.Errorf("%s: parsed, want an error", bad)
		}
	}
}

const sha = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

func TestPluralOfFollowsTheRegularEnglishPlural(t *testing.T) {
	for kind, want := range map[string]string{
		"Pod": "pods", "Ingress": "ingresses", "NetworkPolicy": "networkpolicies", "Gateway": "gateways", "Box": "boxes",
	} {
		if got := pluralOf(kind); got != want {
			t.Errorf("pluralOf(%s) = %s, want %s", kind, got, want)
		}
	}
}

func object(kind, namespace, name string, labels map[string]string) *unstructured.Unstructured {
	o := &unstructured.Unstructured{Object: map[string]any{}}
	o.SetAPIVersion("v1")
	o.SetKind(kind)
	o.SetNamespace(namespace)
	o.SetName(name)
	o.SetLabels(labels)
	return o
}

// eval compiles an expression in the base environment extended with the libraries and evaluates it.
// storedEnv is Kyverno's environment as policies compile in it.
func storedEnv(t *testing.T) *celgo.Env {
	t.Helper()
	env, err := EnvSet(func() *environment.EnvSet {
		return environment.MustBaseEnvSet(environment.DefaultCompatibilityVersion())
	}).Env(environment.StoredExpressions)
	if err != nil {
		t.Fatal(err)
	}
	return env
}

func eval(t *testing.T, expression string) any {
	t.Helper()
	env := storedEnv(t)
	ast, iss := env.Compile(expression)
	if iss.Err() != nil {
		t.Fatalf("%s: %v", expression, iss.Err())
	}
	prg, err := env.Program(ast)
	if err != nil {
		t.Fatal(err)
	}
	out, _, err := prg.Eval(celgo.NoVars())
	if err != nil {
		return err
	}
	return out.Value()
}

func TestResourceLookupsAnswerFromTheRequestsObjects(t *testing.T) {
	// Given out of order: lists come back in the API server's order (namespace, then name).
	SetRequest(NewLookups([]*unstructured.Unstructured{
		object("ConfigMap", "shop", "b", map[string]string{"team": "y"}),
		object("ConfigMap", "shop", "a", map[string]string{"team": "x"}),
		object("ConfigMap", "other", "c", nil),
	}), nil, nil)
	if got := eval(t, `resource.Get("v1", "configmaps", "shop", "a").metadata.name`); got != "a" {
		t.Errorf("Get: %v", got)
	}
	if got := eval(t, `size(resource.List("v1", "configmaps", "shop").items)`); got != int64(2) {
		t.Errorf("List in a namespace: %v", got)
	}
	if got := eval(t, `size(resource.List("v1", "configmaps", "").items)`); got != int64(3) {
		t.Errorf("List across the cluster: %v", got)
	}
	if got := eval(t, `resource.List("v1", "configmaps", "").items.map(o, o.metadata.name).join(",")`); got != "c,a,b" {
		t.Errorf("List order: %v", got)
	}
	if got := eval(t, `resource.List("v1", "configmaps", "shop", {"team": "y"}).items[0].metadata.name`); got != "b" {
		t.Errorf("List by labels: %v", got)
	}
	if _, isErr := eval(t, `resource.Get("v1", "configmaps", "shop", "missing")`).(error); !isErr {
		t.Errorf("Get of a missing object: want an error")
	}
}

func TestKyverno114SpellingsAnswerAsTheCurrentOnes(t *testing.T) {
	SetRequest(NewLookups([]*unstructured.Unstructured{object("ConfigMap", "shop", "a", map[string]string{"team": "x"})}), nil, nil)
	if got := eval(t, `context.GetConfigMap("shop", "a").metadata.name + "," + context.GetResource("v1", "configmaps", "shop", "a").metadata.name`); got != "a,a" {
		t.Errorf("got %v", got)
	}
	if got := eval(t, `size(context.ListResources("v1", "configmaps", "shop").items)`); got != int64(1) {
		t.Errorf("ListResources: %v", got)
	}
}

func TestAnUnknownLibraryFunctionIsNamed(t *testing.T) {
	_, iss := storedEnv(t).Compile(`resource.get("v1", "configmaps", "shop", "a") != null`)
	if iss.Err() == nil {
		t.Fatal("resource.get compiled")
	}
	got := ExplainCompileError(iss.Err().Error())
	if !strings.HasPrefix(got, "unknown function resource.get (Kyverno's resource functions: resource.Get, resource.List, resource.Post)") {
		t.Errorf("got %q", got)
	}
	if plain := "undeclared reference to 'objects' (in container '')"; ExplainCompileError(plain) != plain {
		t.Errorf("a misspelled variable is left as cel-go says it")
	}
}

func TestATestsContextReplacesTheObjectsLookupsSee(t *testing.T) {
	SetRequest(NewLookups([]*unstructured.Unstructured{object("ConfigMap", "shop", "a", nil)}),
		&protocol.KyvernoContext{HTTP: []protocol.HTTPStub{{Method: "GET", URL: "https://x", Body: map[string]any{"ok": true}}}},
		[]*unstructured.Unstructured{object("ConfigMap", "shop", "from-context", nil)})
	if got := eval(t, `resource.List("v1", "configmaps", "shop").items[0].metadata.name`); got != "from-context" {
		t.Errorf("lookups: %v", got)
	}
	if got := eval(t, `http.Get("https://x").body.ok && http.Get("https://x").statusCode == 200`); got != true {
		t.Errorf("http stub: %v", got)
	}
}

func TestImageFunctions(t *testing.T) {
	if got := eval(t, `image("nginx").registry() + "/" + image("nginx").repository() + ":" + image("nginx").tag()`); got != "docker.io/library/nginx:latest" {
		t.Errorf("got %v", got)
	}
	if got := eval(t, `isImage("Nginx")`); got != false {
		t.Errorf("isImage: %v", got)
	}
}
