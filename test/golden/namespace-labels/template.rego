package goldennamespacelabels

import rego.v1

# golden-namespace-labels
violation contains {"msg": msg, "details": {"rule": "golden-namespace-labels"}} if {
	applies
	subject := _subject
	some container in array.concat(array.concat(_list0(subject), _list1(subject)), _list2(subject))
	_image_part(container.image, "tag") == "latest"
	msg := trim_space(concat("", [_value3(container), " uses the latest tag"]))
}

# Whether the policy applies to the review (operation and precondition); every violation requires it.
applies if {
	_operation_matches
	_namespace.metadata.labels.env == "prod"
}

# Gatekeeper audit reviews carry no operation; admission reviews must carry a matched one.
_operation_matches if not input.review.operation
_operation_matches if input.review.operation in {"CREATE", "UPDATE"}

# The request's Namespace, from the cluster data Gatekeeper syncs (see the sync Config policyc emits).
_namespace := data.inventory.cluster.v1.Namespace[input.review.namespace]

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

_value3(container) := _format(x) if {
	x := container.name
} else := "<missing>"

_format(x) := x if is_string(x)

_format(x) := json.marshal(x) if not is_string(x)
