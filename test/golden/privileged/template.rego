package goldenprivileged

import rego.v1

# golden-privileged
violation contains {"msg": msg, "details": {"rule": "golden-privileged"}} if {
	applies
	subject := _subject
	some container in array.concat(array.concat(_list0(subject), _list1(subject)), _list2(subject))
	container.securityContext.privileged == true
	msg := trim_space(concat("", ["Privileged container ", _value3(container), " is not allowed"]))
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

_value3(container) := _format(x) if {
	x := container.name
} else := "<missing>"

_format(x) := x if is_string(x)

_format(x) := json.marshal(x) if not is_string(x)
