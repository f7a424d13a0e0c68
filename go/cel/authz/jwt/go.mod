// Its own go.mod, read in GOPATH mode only for "minimal module compatibility": the
// jwx library is imported as github.com/lestrrat-go/jwx/v3, which Debian lays out without v3.
module policyc/cel/authz/jwt

go 1.24
