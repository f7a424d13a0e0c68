# Container image references, normalised as the container runtime normalises them (policyc's kube/image.ts, and its CEL, take the same steps).
_image(ref) := {"registry": registry, "repository": repository, "tag": tag, "digest": digest, "name": concat("/", [registry, repository])} if {
	is_string(ref)
	at := indexof(ref, "@")
	named := _image_before(ref, at)
	digest := _image_after(ref, at)
	slash := indexof(named, "/")
	has_registry := _image_has_registry(named, slash)
	rest := _image_rest(named, slash, has_registry)
	registry := _image_registry(named, slash, has_registry)
	colon := _last_index(rest, ":")
	path := _image_before(rest, colon)
	repository := _image_repository(registry, path)
	tag := _image_tag(rest, colon, at)
}

_image_part(ref, part) := v if {
	parts := _image(ref)
	v := parts[part]
}

_image_before(s, i) := substring(s, 0, i) if i >= 0

_image_before(s, i) := s if i < 0

_image_after(s, i) := substring(s, i + 1, -1) if i >= 0

_image_after(_, i) := "" if i < 0

_image_has_registry(named, slash) := true if {
	slash >= 0
	_image_registry_like(substring(named, 0, slash))
} else := false

_image_registry_like(first) if contains(first, ".")

_image_registry_like(first) if contains(first, ":")

_image_registry_like("localhost")

_image_registry_like(first) if _lower_ascii(first) != first

_image_rest(named, slash, true) := substring(named, slash + 1, -1)

_image_rest(named, _, false) := named

_image_registry(named, slash, true) := first if {
	first := substring(named, 0, slash)
	first != "index.docker.io"
}

_image_registry(named, slash, true) := "docker.io" if substring(named, 0, slash) == "index.docker.io"

_image_registry(_, _, false) := "docker.io"

_image_repository("docker.io", path) := concat("", ["library/", path]) if not contains(path, "/")

_image_repository(registry, path) := path if {
	registry != "docker.io"
}

_image_repository("docker.io", path) := path if contains(path, "/")

_image_tag(rest, colon, _) := substring(rest, colon + 1, -1) if colon >= 0

_image_tag(_, colon, at) := "" if {
	colon < 0
	at >= 0
}

_image_tag(_, colon, at) := "latest" if {
	colon < 0
	at < 0
}

_last_index(s, sub) := max(indexof_n(s, sub)) if count(indexof_n(s, sub)) > 0

_last_index(s, sub) := -1 if count(indexof_n(s, sub)) == 0
