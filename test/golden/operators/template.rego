package goldenoperators

import rego.v1

# golden-operators
violation contains {"msg": msg, "details": {"rule": "golden-operators"}} if {
	applies
	subject := _subject
	not _holds0(subject)
	msg := "priority must not be negative"
}

# golden-operators-2
violation contains {"msg": msg, "details": {"rule": "golden-operators-2"}} if {
	applies
	subject := _subject
	not _holds1(subject)
	msg := "priority must be below 1000"
}

# golden-operators-3
violation contains {"msg": msg, "details": {"rule": "golden-operators-3"}} if {
	applies
	not _holds2
	msg := "pod names start with p"
}

# golden-operators-4
violation contains {"msg": msg, "details": {"rule": "golden-operators-4"}} if {
	applies
	subject := _subject
	subject.spec.hostPID == true
	msg := "host PID is not allowed"
}

# golden-operators-5
violation contains {"msg": msg, "details": {"rule": "golden-operators-5"}} if {
	applies
	subject := _subject
	_ = subject.spec.enableServiceLinks
	not subject.spec.enableServiceLinks == false
	msg := "service links must be off"
}

# golden-operators-6
violation contains {"msg": msg, "details": {"rule": "golden-operators-6"}} if {
	applies
	subject := _subject
	subject.spec.restartPolicy == ["Never"][_]
	msg := "restartPolicy Never is not allowed"
}

# golden-operators-7
violation contains {"msg": msg, "details": {"rule": "golden-operators-7"}} if {
	applies
	subject := _subject
	not _holds4(subject)
	msg := "at most two containers"
}

# golden-operators-8
violation contains {"msg": msg, "details": {"rule": "golden-operators-8"}} if {
	applies
	subject := _subject
	_any5(subject)
	msg := "no debug containers"
}

# golden-operators-9
violation contains {"msg": msg, "details": {"rule": "golden-operators-9"}} if {
	applies
	subject := _subject
	some container in _list7(subject)
	not _holds8(container)
	msg := trim_space(concat("", [_value9(container), " is not from the registry"]))
}

# golden-operators-10
violation contains {"msg": msg, "details": {"rule": "golden-operators-10"}} if {
	applies
	subject := _subject
	_any10(subject)
	msg := "image paths may not climb"
}

# golden-operators-11
violation contains {"msg": msg, "details": {"rule": "golden-operators-11"}} if {
	applies
	subject := _subject
	subject.spec.futureTier == "gold"
	msg := "the gold tier is reserved"
}

# golden-operators-12
violation contains {"msg": msg, "details": {"rule": "golden-operators-12"}} if {
	applies
	subject := _subject
	some container in _list12(subject)
	not _holds15(container)
	msg := trim_space(concat("", [_value16(container), " does not serve"]))
}

# golden-operators-13
violation contains {"msg": msg, "details": {"rule": "golden-operators-13"}} if {
	applies
	subject := _subject
	some container in _list17(subject)
	not _holds19(container)
	msg := trim_space(concat("", [_value20(container), " sets no environment"]))
}

# golden-operators-14
violation contains {"msg": msg, "details": {"rule": "golden-operators-14"}} if {
	applies
	subject := _subject
	some container in _list21(subject)
	_ = container.resources.limits.memory
	not _holds22(container)
	msg := trim_space(concat("", [_value23(container), " asks for too much memory"]))
}

# golden-operators-15
violation contains {"msg": msg, "details": {"rule": "golden-operators-15"}} if {
	applies
	subject := _subject
	not _holds25(subject)
	msg := "readiness gates are not allowed"
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

_holds0(subject) if {
	is_number(subject.spec.priority)
	subject.spec.priority >= 0
}

_holds1(subject) if {
	is_number(subject.spec.priority)
	subject.spec.priority < 1000
}

_holds2 if {
	is_string(input.review.object.metadata.name)
	regex.match("^p.*$", input.review.object.metadata.name)
}

_list3(subject) := x if {
	x := subject.spec.containers
	is_array(x)
} else := []

_holds4(subject) if {
	count(_list3(subject)) <= 2
}

_list6(subject) := x if {
	x := subject.spec.containers
	is_array(x)
} else := []

_any5(subject) if {
	some container in _list6(subject)
	is_string(container.name)
	endswith(container.name, "-debug")
}

_list7(subject) := x if {
	x := subject.spec.containers
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

_holds8(container) if {
	_image_part(container.image, "registry") == "registry.example.com"
}

_value9(container) := _format(x) if {
	x := container.name
} else := "<missing>"

_format(x) := x if is_string(x)

_format(x) := json.marshal(x) if not is_string(x)

_list11(subject) := x if {
	x := subject.spec.containers
	is_array(x)
} else := []

_any10(subject) if {
	some container in _list11(subject)
	is_string(container.image)
	contains(container.image, "..")
}

_list12(subject) := x if {
	x := subject.spec.containers
	is_array(x)
} else := []

_list14(container) := x if {
	x := container.args
	is_array(x)
} else := []

_any13(container) if {
	some arg in _list14(container)
	arg == "--serve"
}

_holds15(container) if {
	_any13(container)
}

_value16(container) := _format(x) if {
	x := container.name
} else := "<missing>"

_list17(subject) := x if {
	x := subject.spec.containers
	is_array(x)
} else := []

_list18(container) := x if {
	x := container.env
	is_array(x)
} else := []

_holds19(container) if {
	count(_list18(container)) > 0
}

_value20(container) := _format(x) if {
	x := container.name
} else := "<missing>"

_list21(subject) := x if {
	x := subject.spec.containers
	is_array(x)
} else := []

# Kubernetes quantities as numbers: plain numbers, decimal and binary SI suffixes, exponents.
_quantity(x) := x if is_number(x)

_quantity(x) := to_number(x) if {
	is_string(x)
	regex.match(`^[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][+-]?[0-9]+)?$`, x)
}

_quantity(x) := n if {
	is_string(x)
	some suffix, factor in _quantity_multipliers
	endswith(x, suffix)
	digits := trim_suffix(x, suffix)
	regex.match(`^[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)$`, digits)
	n := to_number(digits) * factor
}

_quantity(x) := n if {
	is_string(x)
	some suffix, divisor in _quantity_divisors
	endswith(x, suffix)
	digits := trim_suffix(x, suffix)
	regex.match(`^[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)$`, digits)
	n := to_number(digits) / divisor
}

_quantity_multipliers := {"k": 1000, "M": 1000000, "G": 1000000000, "T": 1000000000000, "P": 1000000000000000, "E": 1000000000000000000, "Ki": 1024, "Mi": 1048576, "Gi": 1073741824, "Ti": 1099511627776, "Pi": 1125899906842624, "Ei": 1152921504606846976}

_quantity_divisors := {"n": 1000000000, "u": 1000000, "m": 1000}

_holds22(container) if {
	_quantity(container.resources.limits.memory) <= _quantity("1Gi")
}

_value23(container) := _format(x) if {
	x := container.name
} else := "<missing>"

_list24(subject) := x if {
	x := subject.spec.readinessGates
	is_array(x)
} else := []

_holds25(subject) if {
	count(_list24(subject)) == 0
}
