package protocol

import (
	"encoding/json"
	"testing"
)

func TestFailCarriesCodeAndMessage(t *testing.T) {
	r := Fail(UnknownPolicy, "unknown policy %s", "p1")
	b, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := string(b), `{"ok":false,"error":{"code":"unknown_policy","message":"unknown policy p1"}}`; got != want {
		t.Fatalf("got %s, want %s", got, want)
	}
}

func TestRequestDecodesEveryOperationsFields(t *testing.T) {
	raw := `{"op":"evaluate","id":"p1","admission":{"operation":"CREATE","kind":{"group":"apps","version":"v1","kind":"Deployment"},
	"resource":{"group":"apps","version":"v1","resource":"deployments"},"namespace":"shop","object":{"kind":"Deployment"},
	"userInfo":{"username":"alice","groups":["dev"]},"authorizer":[{"verb":"get","allowed":true}],
	"kyverno":{"http":[{"method":"GET","url":"https://x","status":200,"body":{"a":1}}]}}}`
	var r Request
	if err := json.Unmarshal([]byte(raw), &r); err != nil {
		t.Fatal(err)
	}
	a := r.Admission
	if r.Op != "evaluate" || r.ID != "p1" || a == nil || a.Kind.Kind != "Deployment" || a.Resource.Resource != "deployments" ||
		a.Namespace != "shop" || a.UserInfo.Username != "alice" || *a.Authorizer[0].Verb != "get" || a.Kyverno.HTTP[0].Status != 200 {
		t.Fatalf("decoded %+v", r)
	}
}

func TestQuoteEscapes(t *testing.T) {
	if got := Quote("a\"b\n"); got != `"a\"b\n"` {
		t.Fatalf("got %s", got)
	}
}
