package goldenregistries

import rego.v1

# registries
violation contains {"msg": msg, "details": {"rule": "registries"}} if {
	applies
	subject := _subject
	some container in array.concat(array.concat(_list0(subject), _list1(subject)), _list2(subject))
	not _holds3(container)
	msg := trim_space(concat("", ["Image ", _value4(container), " is not from an allowed registry"]))
}

# container-count
violation contains {"msg": msg, "details": {"rule": "container-count"}} if {
	applies
	subject := _subject
	not _holds6(subject)
	msg := "too many containers"
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

_as_list(x) := x if is_array(x)

_as_list(x) := [x] if not is_array(x)

_holds3(container) if {
	is_string(container.image)
	startswith(container.image, _as_list(input.parameters.registries)[_])
}

_value4(container) := _format(x) if {
	x := container.image
} else := "<missing>"

_format(x) := x if is_string(x)

_format(x) := json.marshal(x) if not is_string(x)

_list5(subject) := x if {
	x := subject.spec.containers
	is_array(x)
} else := []

_holds6(subject) if {
	count(_list5(subject)) <= 5
}
