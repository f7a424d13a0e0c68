// Package jwt is the Kyverno Authz Server's JWT library for CEL (kyverno.jwt): jwt.Decode(token,
// key) verifies a token's signature with a symmetric key and gives its claims and whether they
// are valid now (exp, nbf, iat). It reads tokens with lestrrat-go/jwx, the library the Authz
// Server uses, from Debian. Named jwt so that its native type is jwt.Token in CEL.
package jwt

import (
	"reflect"
	"time"

	"cel.dev/cel-go/cel"
	"cel.dev/cel-go/common/types"
	"cel.dev/cel-go/common/types/ref"
	"cel.dev/cel-go/ext"
	"github.com/lestrrat-go/jwx/v3/jwk"
	"github.com/lestrrat-go/jwx/v3/jws"
	jwxjwt "github.com/lestrrat-go/jwx/v3/jwt"
	"google.golang.org/protobuf/types/known/structpb"
)

var TokenType = types.NewObjectType("jwt.Token")

// Token is a decoded token: its claims, and whether they hold now.
type Token struct {
	Claims *structpb.Struct
	Valid  bool
}

// Lib declares jwt.Decode(string, string).
func Lib() cel.EnvOption {
	return func(env *cel.Env) (*cel.Env, error) {
		env, err := env.Extend(ext.NativeTypes(reflect.TypeFor[Token]()))
		if err != nil {
			return nil, err
		}
		a := env.CELTypeAdapter()
		return env.Extend(cel.Function("jwt.Decode",
			cel.Overload("decode_string_string", []*cel.Type{cel.StringType, cel.StringType}, TokenType,
				cel.BinaryBinding(func(token, key ref.Val) ref.Val {
					t, ok1 := token.(types.String)
					k, ok2 := key.(types.String)
					if !ok1 || !ok2 {
						return types.NoSuchOverloadErr()
					}
					decoded, err := Decode(string(t), string(k))
					if err != nil {
						return types.WrapErr(err)
					}
					return a.NativeToValue(decoded)
				}))))
	}
}

// Decode verifies the token's signature with the key (its algorithm inferred from the key, or
// the token's own when the key names none) and reads its claims; times are Unix seconds.
func Decode(token, key string) (Token, error) {
	k, err := jwk.Import([]byte(key))
	if err != nil {
		return Token{}, err
	}
	set := jwk.NewSet()
	if err := set.AddKey(k); err != nil {
		return Token{}, err
	}
	tok, err := jwxjwt.Parse([]byte(token), jwxjwt.WithValidate(false),
		jwxjwt.WithKeySet(set, jws.WithUseDefault(true), jws.WithInferAlgorithmFromKey(true)))
	if err != nil {
		return Token{}, err
	}
	var claims *structpb.Struct
	if keys := tok.Keys(); len(keys) > 0 {
		fields := make(map[string]any, len(keys))
		for _, name := range keys {
			var value any
			if err := tok.Get(name, &value); err != nil {
				return Token{}, err
			}
			switch v := value.(type) {
			case time.Time:
				fields[name] = v.Unix()
			case []string:
				list := make([]any, len(v))
				for i, s := range v {
					list[i] = s
				}
				fields[name] = list
			default:
				fields[name] = v
			}
		}
		if claims, err = structpb.NewStruct(fields); err != nil {
			return Token{}, err
		}
	}
	return Token{Claims: claims, Valid: jwxjwt.Validate(tok) == nil}, nil
}
