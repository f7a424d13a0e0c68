// The parts of Kyverno's CEL libraries that read the test's context (the Kyverno CLI's Context
// file: spec.images, spec.globalContext, spec.http) or transform data, as policyc provides them
// (Kyverno documentation "CEL Libraries"; the CLI's fake context provider for what a test sees).
// policyc's own implementations.
//
//   image.GetMetadata(string) -> dyn                    (the context's image data for that reference)
//   globalContext.Get(name, projection) -> dyn          (the context's entry; a missing entry is null)
//   http.Get(url[, headers]), http.Post(url, body, headers) -> dyn   (the context's stubs)
//   resource.List(apiVersion, resource, namespace, labels) -> {items}
//   resource.Post(apiVersion, resource, object) -> object
//   json.unmarshal(string), yaml.parse(string) -> dyn
//   time.now() -> timestamp; time.truncate(timestamp, duration) -> timestamp; time.toCron(timestamp) -> string
//   x509.decode(pem string) -> dyn                      (a certificate or certificate request as JSON)
//   base64.decode(string) -> bytes; base64.encode(bytes) -> string
//   md5, sha1, sha256(string) -> hex string
//   math.round(double, int) -> double
//   random() -> string                                  ([0-9a-z]{8})
//   listObjToMap(list, list, keyField, valueField) -> map

package kyverno

import (
	"bytes"
	"crypto/md5"
	"crypto/rand"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"math"
	"math/big"
	neturl "net/url"
	"sort"
	"strings"
	"time"

	celgo "cel.dev/cel-go/cel"
	"cel.dev/cel-go/common/types"
	"cel.dev/cel-go/common/types/ref"
	"cel.dev/cel-go/common/types/traits"
	"sigs.k8s.io/yaml"

	"policyc/cel/protocol"
)

// currentContext is the context of the request being evaluated; set by SetRequest.
var currentContext = &protocol.KyvernoContext{}

func nativeValue(v any) ref.Val { return types.DefaultTypeAdapter.NativeToValue(v) }

// plainData decodes JSON into plain values with whole numbers as int64 (CEL's int) and numbers
// too large for it as their decimal strings.
func plainData(raw []byte) (any, error) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, err
	}
	return numbersOf(v), nil
}

func numbersOf(v any) any {
	switch x := v.(type) {
	case json.Number:
		if i, err := x.Int64(); err == nil {
			return i
		}
		if _, ok := new(big.Int).SetString(x.String(), 10); ok {
			return x.String()
		}
		f, _ := x.Float64()
		return f
	case []any:
		for i := range x {
			x[i] = numbersOf(x[i])
		}
		return x
	case map[string]any:
		for k := range x {
			x[k] = numbersOf(x[k])
		}
		return x
	}
	return v
}

func str(v ref.Val) (string, bool) {
	s, ok := v.(types.String)
	return string(s), ok
}

// nativeOf turns a CEL value into plain Go data (maps, lists, strings, numbers).
func nativeOf(v ref.Val) (any, error) {
	native, err := v.ConvertToNative(JSONValueType)
	if err != nil {
		return nil, err
	}
	raw, err := json.Marshal(native)
	if err != nil {
		return nil, err
	}
	return plainData(raw)
}

func imageMetadata(v ref.Val) ref.Val {
	ref, ok := str(v)
	if !ok {
		return types.NoSuchOverloadErr()
	}
	var known []string
	for _, img := range currentContext.Images {
		name, _ := img["image"].(string)
		if name == ref {
			return nativeValue(img)
		}
		known = append(known, name)
	}
	sort.Strings(known)
	return types.NewErr("image data for %s not found in the test's context (images: %s)", ref, strings.Join(known, ", "))
}

func globalContextGet(name, projection ref.Val) ref.Val {
	n, ok1 := str(name)
	p, ok2 := str(projection)
	if !ok1 || !ok2 {
		return types.NoSuchOverloadErr()
	}
	var found bool
	var fallback any
	var hasFallback bool
	for _, e := range currentContext.GlobalContext {
		if e.Name != n {
			continue
		}
		found = true
		if e.Projection == p {
			return nativeValue(e.Value)
		}
		if e.Projection == "" {
			fallback, hasFallback = e.Value, true
		}
	}
	if !found {
		// As a cluster's global context answers an entry it does not have.
		return types.NullValue
	}
	if hasFallback {
		return nativeValue(fallback)
	}
	return types.NewErr("global context entry %q has no projection %q in the test's context", n, p)
}

// httpCall answers http.Get and http.Post from the test's stubs as the Kyverno CLI's mock client
// answers them: the response, {"statusCode": ..., "body": ...} (statusCode 200 unless the stub says
// otherwise). A stub matches by method (none: any) and by URL, or by the URL's path for a stub
// given as a path (apiCallResponses' urlPath).
func httpCall(method string, url ref.Val) ref.Val {
	u, ok := str(url)
	if !ok {
		return types.NoSuchOverloadErr()
	}
	if len(currentContext.HTTP) == 0 {
		return types.NewErr("http.%s(%s): no HTTP stubs in the test's context; policyc tests make no network calls", strings.Title(strings.ToLower(method)), u)
	}
	path := u
	if parsed, err := neturl.Parse(u); err == nil && parsed.Path != "" {
		path = parsed.Path
	}
	var known []string
	for _, s := range currentContext.HTTP {
		sameURL := s.URL == u || (strings.HasPrefix(s.URL, "/") && s.URL == path)
		if (s.Method == "" || strings.EqualFold(s.Method, method)) && sameURL {
			status := s.Status
			if status == 0 {
				status = 200
			}
			return nativeValue(map[string]any{"statusCode": int64(status), "body": s.Body})
		}
		known = append(known, strings.ToUpper(s.Method)+" "+s.URL)
	}
	sort.Strings(known)
	return types.NewErr("no HTTP stub for %s %s in the test's context (stubs: %s)", method, u, strings.Join(known, ", "))
}

func unmarshalJSON(v ref.Val) ref.Val {
	s, ok := str(v)
	if !ok {
		return types.NoSuchOverloadErr()
	}
	out, err := plainData([]byte(s))
	if err != nil {
		return types.NewErr("json.unmarshal: %v", err)
	}
	return nativeValue(out)
}

func parseYAML(v ref.Val) ref.Val {
	s, ok := str(v)
	if !ok {
		return types.NoSuchOverloadErr()
	}
	raw, err := yaml.YAMLToJSON([]byte(s))
	if err != nil {
		return types.NewErr("yaml.parse: %v", err)
	}
	out, err := plainData(raw)
	if err != nil {
		return types.NewErr("yaml.parse: %v", err)
	}
	return nativeValue(out)
}

func decodeX509(v ref.Val) ref.Val {
	s, ok := str(v)
	if !ok {
		return types.NoSuchOverloadErr()
	}
	block, _ := pem.Decode([]byte(s))
	if block == nil {
		return types.NewErr("x509.decode: no PEM data")
	}
	var parsed any
	var err error
	switch block.Type {
	case "CERTIFICATE":
		parsed, err = x509.ParseCertificate(block.Bytes)
	case "CERTIFICATE REQUEST":
		parsed, err = x509.ParseCertificateRequest(block.Bytes)
	default:
		return types.NewErr("x509.decode: PEM block %q is neither a certificate nor a certificate request", block.Type)
	}
	if err != nil {
		return types.NewErr("x509.decode: %v", err)
	}
	raw, err := json.Marshal(parsed)
	if err != nil {
		return types.NewErr("x509.decode: %v", err)
	}
	out, err := plainData(raw)
	if err != nil {
		return types.NewErr("x509.decode: %v", err)
	}
	return nativeValue(out)
}

func hashOf(sum func([]byte) []byte) func(ref.Val) ref.Val {
	return func(v ref.Val) ref.Val {
		s, ok := str(v)
		if !ok {
			return types.NoSuchOverloadErr()
		}
		return types.String(hex.EncodeToString(sum([]byte(s))))
	}
}

func toCron(v ref.Val) ref.Val {
	t, ok := v.(types.Timestamp)
	if !ok {
		return types.NoSuchOverloadErr()
	}
	u := t.Time.UTC()
	return types.String(fmt.Sprintf("%d %d %d %d %d", u.Minute(), u.Hour(), u.Day(), int(u.Month()), int(u.Weekday())))
}

func listObjToMap(args ...ref.Val) ref.Val {
	keys, ok1 := args[0].(traits.Lister)
	values, ok2 := args[1].(traits.Lister)
	keyField, ok3 := str(args[2])
	valueField, ok4 := str(args[3])
	if !ok1 || !ok2 || !ok3 || !ok4 {
		return types.NoSuchOverloadErr()
	}
	kn, err := nativeOf(keys)
	if err != nil {
		return types.NewErr("listObjToMap: %v", err)
	}
	vn, err := nativeOf(values)
	if err != nil {
		return types.NewErr("listObjToMap: %v", err)
	}
	kl, _ := kn.([]any)
	vl, _ := vn.([]any)
	out := map[string]any{}
	for i := range kl {
		if i >= len(vl) {
			break
		}
		km, _ := kl[i].(map[string]any)
		vm, _ := vl[i].(map[string]any)
		k, ok := km[keyField]
		if !ok {
			continue
		}
		out[fmt.Sprint(k)] = vm[valueField]
	}
	return nativeValue(out)
}

const randomAlphabet = "0123456789abcdefghijklmnopqrstuvwxyz"

func randomString() ref.Val {
	buf := make([]byte, 8)
	if _, err := rand.Read(buf); err != nil {
		return types.NewErr("random: %v", err)
	}
	for i := range buf {
		buf[i] = randomAlphabet[int(buf[i])%len(randomAlphabet)]
	}
	return types.String(buf)
}

func resourcePost(args ...ref.Val) ref.Val {
	s, ok := strArgs(args[:2])
	if !ok {
		return types.NoSuchOverloadErr()
	}
	data, err := nativeOf(args[2])
	if err != nil {
		return types.NewErr("resource.Post: %v", err)
	}
	obj, _ := data.(map[string]any)
	meta, _ := obj["metadata"].(map[string]any)
	if name, _ := meta["name"].(string); name == "" {
		return types.NewErr("failed to create %s %s: missing metadata.name", s[0], s[1])
	}
	return nativeValue(obj)
}

// kyvernoContextOptions declares the functions above.
func kyvernoContextOptions() []celgo.EnvOption {
	s := celgo.StringType
	dyn := celgo.DynType
	stringMap := celgo.MapType(s, s)
	return []celgo.EnvOption{
		celgo.Function("image.GetMetadata", celgo.Overload("kyverno_image_get_metadata", []*celgo.Type{s}, dyn, celgo.UnaryBinding(imageMetadata))),
		celgo.Function("globalContext.Get", celgo.Overload("kyverno_global_context_get", []*celgo.Type{s, s}, dyn, celgo.BinaryBinding(globalContextGet))),
		// Kyverno 1.14's spellings.
		celgo.Function("context.GetImageData", celgo.Overload("kyverno_context_get_image_data", []*celgo.Type{s}, dyn, celgo.UnaryBinding(imageMetadata))),
		celgo.Function("context.GetGlobalReference", celgo.Overload("kyverno_context_get_global_reference", []*celgo.Type{s, s}, dyn, celgo.BinaryBinding(globalContextGet))),
		celgo.Function("http.Get",
			celgo.Overload("kyverno_http_get", []*celgo.Type{s}, dyn, celgo.UnaryBinding(func(u ref.Val) ref.Val { return httpCall("GET", u) })),
			celgo.Overload("kyverno_http_get_headers", []*celgo.Type{s, stringMap}, dyn, celgo.BinaryBinding(func(u, _ ref.Val) ref.Val { return httpCall("GET", u) }))),
		celgo.Function("http.Post",
			celgo.Overload("kyverno_http_post", []*celgo.Type{s, dyn}, dyn, celgo.BinaryBinding(func(u, _ ref.Val) ref.Val { return httpCall("POST", u) })),
			celgo.Overload("kyverno_http_post_headers", []*celgo.Type{s, dyn, stringMap}, dyn, celgo.FunctionBinding(func(a ...ref.Val) ref.Val { return httpCall("POST", a[0]) }))),
		celgo.Function("resource.Post", celgo.Overload("kyverno_resource_post", []*celgo.Type{s, s, dyn}, dyn, celgo.FunctionBinding(resourcePost))),
		celgo.Function("json.unmarshal", celgo.Overload("kyverno_json_unmarshal", []*celgo.Type{s}, dyn, celgo.UnaryBinding(unmarshalJSON))),
		celgo.Function("yaml.parse", celgo.Overload("kyverno_yaml_parse", []*celgo.Type{s}, dyn, celgo.UnaryBinding(parseYAML))),
		celgo.Function("time.now", celgo.Overload("kyverno_time_now", []*celgo.Type{}, celgo.TimestampType, celgo.FunctionBinding(func(...ref.Val) ref.Val {
			return types.Timestamp{Time: time.Now().UTC()}
		}))),
		celgo.Function("time.truncate", celgo.Overload("kyverno_time_truncate", []*celgo.Type{celgo.TimestampType, celgo.DurationType}, celgo.TimestampType, celgo.BinaryBinding(func(t, d ref.Val) ref.Val {
			ts, ok1 := t.(types.Timestamp)
			du, ok2 := d.(types.Duration)
			if !ok1 || !ok2 {
				return types.NoSuchOverloadErr()
			}
			return types.Timestamp{Time: ts.Time.Truncate(du.Duration)}
		}))),
		celgo.Function("time.toCron", celgo.Overload("kyverno_time_to_cron", []*celgo.Type{celgo.TimestampType}, s, celgo.UnaryBinding(toCron))),
		celgo.Function("x509.decode", celgo.Overload("kyverno_x509_decode", []*celgo.Type{s}, dyn, celgo.UnaryBinding(decodeX509))),
		celgo.Function("base64.decode", celgo.Overload("kyverno_base64_decode", []*celgo.Type{s}, celgo.BytesType, celgo.UnaryBinding(func(v ref.Val) ref.Val {
			x, ok := str(v)
			if !ok {
				return types.NoSuchOverloadErr()
			}
			b, err := base64.StdEncoding.DecodeString(x)
			if err != nil {
				if b, err = base64.RawStdEncoding.DecodeString(x); err != nil {
					return types.NewErr("base64.decode: %v", err)
				}
			}
			return types.Bytes(b)
		}))),
		celgo.Function("base64.encode", celgo.Overload("kyverno_base64_encode", []*celgo.Type{celgo.BytesType}, s, celgo.UnaryBinding(func(v ref.Val) ref.Val {
			b, ok := v.(types.Bytes)
			if !ok {
				return types.NoSuchOverloadErr()
			}
			return types.String(base64.StdEncoding.EncodeToString(b))
		}))),
		celgo.Function("md5", celgo.Overload("kyverno_md5", []*celgo.Type{s}, s, celgo.UnaryBinding(hashOf(func(b []byte) []byte { x := md5.Sum(b); return x[:] })))),
		celgo.Function("sha1", celgo.Overload("kyverno_sha1", []*celgo.Type{s}, s, celgo.UnaryBinding(hashOf(func(b []byte) []byte { x := sha1.Sum(b); return x[:] })))),
		celgo.Function("sha256", celgo.Overload("kyverno_sha256", []*celgo.Type{s}, s, celgo.UnaryBinding(hashOf(func(b []byte) []byte { x := sha256.Sum256(b); return x[:] })))),
		celgo.Function("math.round", celgo.Overload("kyverno_math_round_double_int", []*celgo.Type{celgo.DoubleType, celgo.IntType}, celgo.DoubleType, celgo.BinaryBinding(func(v, p ref.Val) ref.Val {
			x, ok1 := v.(types.Double)
			n, ok2 := p.(types.Int)
			if !ok1 || !ok2 {
				return types.NoSuchOverloadErr()
			}
			scale := math.Pow(10, float64(n))
			return types.Double(math.Round(float64(x)*scale) / scale)
		}))),
		celgo.Function("random", celgo.Overload("kyverno_random", []*celgo.Type{}, s, celgo.FunctionBinding(func(...ref.Val) ref.Val { return randomString() }))),
		celgo.Function("listObjToMap", celgo.Overload("kyverno_list_obj_to_map", []*celgo.Type{celgo.ListType(dyn), celgo.ListType(dyn), s, s}, celgo.MapType(s, dyn), celgo.FunctionBinding(listObjToMap))),
	}
}
