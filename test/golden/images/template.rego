package goldenimages

import rego.v1

# registry
violation contains {"msg": msg, "details": {"rule": "registry"}} if {
	applies
	subject := _subject
	some container in array.concat(array.concat(_list0(subject), _list1(subject)), _list2(subject))
	not _holds4(container)
	msg := trim_space(concat("", [_value5(container), " comes from ", _value6(container)]))
}

# no-latest
violation contains {"msg": msg, "details": {"rule": "no-latest"}} if {
	applies
	subject := _subject
	some container in array.concat(array.concat(_list7(subject), _list8(subject)), _list9(subject))
	_image_part(container.image, "tag") == "latest"
	msg := trim_space(concat("", [_value10(container), " is not pinned"]))
}

# digest
violation contains {"msg": msg, "details": {"rule": "digest"}} if {
	applies
	subject := _subject
	input.parameters.requireDigest == true
	some container in array.concat(array.concat(_list11(subject), _list12(subject)), _list13(subject))
	not _holds14(container)
	msg := trim_space(concat("", [_value15(container), " has no digest"]))
}

# library
violation contains {"msg": msg, "details": {"rule": "library"}} if {
	applies
	subject := _subject
	some container in array.concat(array.concat(_list16(subject), _list17(subject)), _list18(subject))
	not _holds19(container)
	msg := trim_space(concat("", [_value20(container), " is not an official image"]))
}

# Whether the policy applies to the review (operation and precondition); every violation requires it.
applies if _operation_matches

# Gatekeeper audit reviews carry no operation; admission reviews must carry a matched one.
_operation_matches if not input.review.operation
_operation_matches if input.review.operation in {"CREATE", "UPDATE"}

# The pod the rules read: the Pod itself, or the pod template of a controller.
_subject := input.review.object if input.review.object.kind == "Pod"
_subject := object.get(object.get(input.review.object, "spec", {}), "template", {}) if input.review.object.kind in {
	"Deployment",
	"StatefulSet",
	"DaemonSet",
	"ReplicaSet",
	"Job",
}
_subject := object.get(
	object.get(object.get(object.get(input.review.object, "spec", {}), "jobTemplate", {}), "spec", {}),
	"template",
	{},
) if input.review.object.kind in {"CronJob"}

_list0(subject) := x if {
	x := subject.spec.containers
	is_array(x)
} else := []

_list1(subject) := x if {
	x := subject.spec.initContainers
	is_array(x)
} else := []

_list2(subject) := x if {
	x := subject.spec.ephemeralContainers
	is_array(x)
} else := []

# ASCII lower case, as CEL's lowerAscii (Rego's lower maps all of Unicode).
_lower_ascii(s) := strings.replace_n(
	{
		"A": "a", "B": "b", "C": "c", "D": "d", "E": "e", "F": "f", "G": "g", "H": "h", "I": "i", "J": "j", "K": "k", "L": "l", "M": "m",
		"N": "n", "O": "o", "P": "p", "Q": "q", "R": "r", "S": "s", "T": "t", "U": "u", "V": "v", "W": "w", "X": "x", "Y": "y", "Z": "z",
	},
	s,
) if is_string(s)

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

_list3 := x if {
	x := input.parameters.registries
	is_array(x)
} else := []

_holds4(container) if {
	_image_part(container.image, "registry") == _list3[_]
}

_value5(container) := _format(x) if {
	x := container.image
} else := "<missing>"

_format(x) := x if is_string(x)

_format(x) := json.marshal(x) if not is_string(x)

_value6(container) := _format(x) if {
	x := _image_part(container.image, "registry")
} else := "<missing>"

_list7(subject) := x if {
	x := subject.spec.containers
	is_array(x)
} else := []

_list8(subject) := x if {
	x := subject.spec.initContainers
	is_array(x)
} else := []

_list9(subject) := x if {
	x := subject.spec.ephemeralContainers
	is_array(x)
} else := []

_value10(container) := _format(x) if {
	x := _image_part(container.image, "name")
} else := "<missing>"

_list11(subject) := x if {
	x := subject.spec.containers
	is_array(x)
} else := []

_list12(subject) := x if {
	x := subject.spec.initContainers
	is_array(x)
} else := []

_list13(subject) := x if {
	x := subject.spec.ephemeralContainers
	is_array(x)
} else := []

_holds14(container) if {
	is_string(_image_part(container.image, "digest"))
	regex.match("^sha256:[0-9a-f]{64}$", _image_part(container.image, "digest"))
}

_value15(container) := _format(x) if {
	x := container.image
} else := "<missing>"

_list16(subject) := x if {
	x := subject.spec.containers
	is_array(x)
} else := []

_list17(subject) := x if {
	x := subject.spec.initContainers
	is_array(x)
} else := []

_list18(subject) := x if {
	x := subject.spec.ephemeralContainers
	is_array(x)
} else := []

_holds19(container) if {
	is_string(_image_part(container.image, "repository"))
	startswith(_image_part(container.image, "repository"), "library/")
}

_value20(container) := _format(x) if {
	x := _image_part(container.image, "repository")
} else := "<missing>"
