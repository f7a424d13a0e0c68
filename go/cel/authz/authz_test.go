package authz

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"strings"
	"testing"

	authv3 "github.com/envoyproxy/go-control-plane/envoy/service/auth/v3"
)

func policy(t *testing.T, mode string, spec map[string]any) *Policy {
	t.Helper()
	spec["evaluation"] = map[string]any{"mode": mode}
	raw, _ := json.Marshal(map[string]any{"apiVersion": "policies.kyverno.io/v1", "kind": "ValidatingPolicy", "spec": spec})
	p, problems, err := Compile(raw)
	if err != nil || len(problems) > 0 {
		t.Fatalf("compile: %v %v", err, problems)
	}
	return p
}

func decide(t *testing.T, p *Policy, payload string) Decision {
	t.Helper()
	req, err := p.Decode([]byte(payload))
	if err != nil {
		t.Fatalf("decode: %v", err)
	}
	return p.Evaluate(req)
}

func validations(exprs ...string) []any {
	out := []any{}
	for _, e := range exprs {
		out = append(out, map[string]any{"expression": e})
	}
	return out
}

func TestHTTPMode(t *testing.T) {
	p := policy(t, ModeHTTP, map[string]any{
		"validations": validations(
			`object.attributes.Header("x-team").exists(v, v == "ops") ? http.Allowed().Response() : null`,
			`object.attributes.path.startsWith("/admin") ? http.Denied("admin only").Response() : null`,
		),
	})
	if d := decide(t, p, `{"attributes":{"path":"/admin/x","header":{"X-Team":["ops"]}}}`); d.Result != "allowed" {
		t.Errorf("a header read case-insensitively allows: %+v", d)
	}
	if d := decide(t, p, `{"attributes":{"path":"/admin/x"}}`); d.Result != "denied" || d.Message != "request denied, reason: admin only" {
		t.Errorf("the second validation denies: %+v", d)
	}
	if d := decide(t, p, `{"attributes":{"path":"/public"}}`); d.Result != "none" {
		t.Errorf("every validation null: no decision: %+v", d)
	}
	body := policy(t, ModeHTTP, map[string]any{
		"validations": validations(`json.Unmarshal(string(object.attributes.body)).?amount.orValue(0.0) > 100.0 ? http.Denied("too much").Response() : http.Allowed().Response()`),
	})
	if d := decide(t, body, `{"attributes":{"body":"eyJhbW91bnQiOiA1MDB9"}}`); d.Result != "denied" {
		t.Errorf("the body (base64 in the payload file) read as JSON: %+v", d)
	}
	if d := decide(t, body, `{"attributes":{"body":"eyJhbW91bnQiOiA1fQ=="}}`); d.Result != "allowed" {
		t.Errorf("a small amount is allowed: %+v", d)
	}
}

func TestEnvoyMode(t *testing.T) {
	p := policy(t, ModeEnvoy, map[string]any{
		"matchConditions": []any{map[string]any{"name": "get", "expression": `object.attributes.request.http.method == "GET"`}},
		"variables":       []any{map[string]any{"name": "path", "expression": `object.attributes.request.http.path`}},
		"validations": validations(
			`variables.path == "/forbidden" ? envoy.Denied(403).WithBody("no").Response() : null`,
			`envoy.Allowed().WithHeader("x-checked", "yes").Response()`,
		),
	})
	get := func(path string) string {
		return `{"attributes":{"request":{"http":{"method":"GET","path":"` + path + `","headers":{}}}}}`
	}
	if d := decide(t, p, get("/forbidden")); d.Result != "denied" || d.Message != "request denied with status code 403" {
		t.Errorf("denied: %+v", d)
	}
	if d := decide(t, p, get("/ok")); d.Result != "allowed" {
		t.Errorf("allowed: %+v", d)
	}
	if d := decide(t, p, `{"attributes":{"request":{"http":{"method":"POST"}}}}`); d.Result != "none" {
		t.Errorf("a false match condition: no decision: %+v", d)
	}
	if _, err := p.Decode([]byte(`{"attributes":{"nope":1}}`)); err == nil {
		t.Errorf("an unknown field of the CheckRequest message is an error, as protojson reads it")
	}
}

func hs256(t *testing.T, claims map[string]any, key string) string {
	enc := base64.RawURLEncoding.EncodeToString
	header := enc([]byte(`{"alg":"HS256","typ":"JWT"}`))
	body, _ := json.Marshal(claims)
	signing := header + "." + enc(body)
	mac := hmac.New(sha256.New, []byte(key))
	mac.Write([]byte(signing))
	return signing + "." + enc(mac.Sum(nil))
}

func TestJWT(t *testing.T) {
	p := policy(t, ModeEnvoy, map[string]any{
		"variables": []any{
			map[string]any{"name": "authorization", "expression": `object.attributes.request.http.headers[?"authorization"].orValue("").split(" ")`},
			map[string]any{"name": "token", "expression": `size(variables.authorization) == 2 ? jwt.Decode(variables.authorization[1], "secret") : null`},
		},
		"validations": validations(
			`variables.token == null || !variables.token.Valid ? envoy.Denied(401).Response() : null`,
			`variables.token.Claims.?role.orValue("") != "admin" ? envoy.Denied(403).Response() : null`,
			`envoy.Allowed().Response()`,
		),
	})
	request := func(token string) string {
		return `{"attributes":{"request":{"http":{"headers":{"authorization":"Bearer ` + token + `"}}}}}`
	}
	cases := []struct {
		name, token, want string
	}{
		{"admin", hs256(t, map[string]any{"role": "admin", "exp": 4102444800}, "secret"), "allowed"},
		{"not admin", hs256(t, map[string]any{"role": "user", "exp": 4102444800}, "secret"), "denied"},
		{"expired", hs256(t, map[string]any{"role": "admin", "exp": 1000}, "secret"), "denied"},
	}
	for _, c := range cases {
		if d := decide(t, p, request(c.token)); d.Result != c.want {
			t.Errorf("%s: %+v", c.name, d)
		}
	}
	if d := decide(t, p, request(hs256(t, map[string]any{"role": "admin"}, "other"))); d.Result != "error" {
		t.Errorf("a token signed with another key fails to decode: an error under failurePolicy Fail: %+v", d)
	}
	if d := decide(t, p, `{"attributes":{"request":{"http":{"headers":{}}}}}`); d.Result != "denied" || !strings.Contains(d.Message, "401") {
		t.Errorf("no token: 401: %+v", d)
	}
	if d := decide(t, p, request("x")); d.Result != "error" || !strings.Contains(d.Message, "jwt") {
		t.Errorf("a token that is no JWT fails to decode: %+v", d)
	}
}

func TestCompileProblems(t *testing.T) {
	for _, c := range []struct{ mode, expr, want string }{
		{ModeHTTP, `true`, "rule response output is expected to be of type http.CheckResponse"},
		{ModeEnvoy, `http.Allowed().Response()`, "undeclared reference"},
		{ModeEnvoy, `envoy.Alowed().Response()`, "unknown function envoy.Alowed (Kyverno's envoy functions: envoy.Allowed, envoy.Denied, envoy.Header, envoy.QueryParam)"},
	} {
		raw, _ := json.Marshal(map[string]any{"spec": map[string]any{"evaluation": map[string]any{"mode": c.mode}, "validations": validations(c.expr)}})
		_, problems, err := Compile(raw)
		if err != nil || len(problems) != 1 || problems[0].Field != "spec.validations[0].expression" || !strings.Contains(problems[0].Message, c.want) {
			t.Errorf("%s %s: %v %+v", c.mode, c.expr, err, problems)
		}
	}
}

func TestEnvoyResponses(t *testing.T) {
	env, err := baseEnv(ModeEnvoy)
	if err != nil {
		t.Fatal(err)
	}
	eval := func(expr string) *authv3.CheckResponse {
		t.Helper()
		ast, iss := env.Compile(expr)
		if iss.Err() != nil {
			t.Fatalf("%s: %v", expr, iss.Err())
		}
		prog, err := env.Program(ast)
		if err != nil {
			t.Fatal(err)
		}
		out, _, err := prog.Eval(map[string]any{})
		if err != nil {
			t.Fatalf("%s: %v", expr, err)
		}
		return out.Value().(*authv3.CheckResponse)
	}
	ok := eval(`envoy.Allowed().WithHeader("a", "b").WithHeader(envoy.Header("c", "").KeepEmptyValue()).WithoutHeader("x")` +
		`.WithResponseHeader("r", "s").WithQueryParam("q", "1").WithQueryParam(envoy.QueryParam("p", "2")).WithoutQueryParam("z").Response().WithMessage("fine")`)
	o := ok.GetOkResponse()
	if ok.GetStatus().GetCode() != 0 || ok.GetStatus().GetMessage() != "fine" || len(o.GetHeaders()) != 2 || !o.GetHeaders()[1].GetKeepEmptyValue() ||
		o.GetHeadersToRemove()[0] != "x" || o.GetResponseHeadersToAdd()[0].GetHeader().GetKey() != "r" ||
		len(o.GetQueryParametersToSet()) != 2 || o.GetQueryParametersToRemove()[0] != "z" {
		t.Errorf("allowed: %v", ok)
	}
	denied := eval(`envoy.Denied(403).WithBody("no").WithHeader("h", "v").Response().WithMetadata({"reason": "policy"})`)
	d := denied.GetDeniedResponse()
	if denied.GetStatus().GetCode() != 7 || d.GetStatus().GetCode() != 403 || d.GetBody() != "no" || d.GetHeaders()[0].GetHeader().GetValue() != "v" ||
		denied.GetDynamicMetadata().GetFields()["reason"].GetStringValue() != "policy" {
		t.Errorf("denied: %v", denied)
	}
	// Values are never changed in place: a response built from another leaves it as it was.
	twice := eval(`[envoy.Allowed()].map(a, [a.WithHeader("one", "1"), a.WithHeader("two", "2")])[0][1].Response()`)
	if hs := twice.GetOkResponse().GetHeaders(); len(hs) != 1 || hs[0].GetHeader().GetKey() != "two" {
		t.Errorf("copies: %v", twice)
	}
}
