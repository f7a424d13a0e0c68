package goldenvocabulary

import rego.v1

# exists
violation contains {"msg": msg, "details": {"rule": "exists"}} if {
	applies
	subject := _subject
	not _holds0(subject)
	msg := "golden-vocabulary: rule exists is violated"
}

# absent
violation contains {"msg": msg, "details": {"rule": "absent"}} if {
	applies
	subject := _subject
	_ = subject.spec.hostNetwork
	msg := "golden-vocabulary: rule absent is violated"
}

# equals
violation contains {"msg": msg, "details": {"rule": "equals"}} if {
	applies
	subject := _subject
	not subject.spec.restartPolicy == "Always"
	msg := "golden-vocabulary: rule equals is violated"
}

# not-equals
violation contains {"msg": msg, "details": {"rule": "not-equals"}} if {
	applies
	subject := _subject
	subject.spec.hostPID == true
	msg := "golden-vocabulary: rule not-equals is violated"
}

# one-of
violation contains {"msg": msg, "details": {"rule": "one-of"}} if {
	applies
	subject := _subject
	not _holds1(subject)
	msg := "golden-vocabulary: rule one-of is violated"
}

# not-one-of
violation contains {"msg": msg, "details": {"rule": "not-one-of"}} if {
	applies
	subject := _subject
	_fails2(subject)
	msg := "golden-vocabulary: rule not-one-of is violated"
}

# prefix
violation contains {"msg": msg, "details": {"rule": "prefix"}} if {
	applies
	subject := _subject
	_fails4(subject)
	msg := "golden-vocabulary: rule prefix is violated"
}

# suffix
violation contains {"msg": msg, "details": {"rule": "suffix"}} if {
	applies
	subject := _subject
	_fails7(subject)
	msg := "golden-vocabulary: rule suffix is violated"
}

# contains
violation contains {"msg": msg, "details": {"rule": "contains"}} if {
	applies
	subject := _subject
	some container in _list9(subject)
	is_string(container.image)
	contains(container.image, "@sha256:")
	msg := trim_space(concat("", ["Container ", _value10(container), " pins a digest"]))
}

# regex
violation contains {"msg": msg, "details": {"rule": "regex"}} if {
	applies
	not _holds11
	msg := "golden-vocabulary: rule regex is violated"
}

# glob
violation contains {"msg": msg, "details": {"rule": "glob"}} if {
	applies
	subject := _subject
	not _holds12(subject)
	msg := "golden-vocabulary: rule glob is violated"
}

# numeric
violation contains {"msg": msg, "details": {"rule": "numeric"}} if {
	applies
	subject := _subject
	_fails13(subject)
	msg := "golden-vocabulary: rule numeric is violated"
}

# quantity
violation contains {"msg": msg, "details": {"rule": "quantity"}} if {
	applies
	subject := _subject
	_fails16(subject)
	msg := "golden-vocabulary: rule quantity is violated"
}

# all-of
violation contains {"msg": msg, "details": {"rule": "all-of"}} if {
	applies
	subject := _subject
	_fails19(subject)
	msg := "golden-vocabulary: rule all-of is violated"
}

# any-of
violation contains {"msg": msg, "details": {"rule": "any-of"}} if {
	applies
	subject := _subject
	not _holds25(subject)
	msg := "golden-vocabulary: rule any-of is violated"
}

# none-of
violation contains {"msg": msg, "details": {"rule": "none-of"}} if {
	applies
	subject := _subject
	_any26(subject)
	msg := trim_space(concat("", ["Volume ", _value28, " mounts the host"]))
}

# ports
violation contains {"msg": msg, "details": {"rule": "ports"}} if {
	applies
	subject := _subject
	some container in _list29(subject)
	some port in _list30(container)
	_ = port.hostPort
	msg := trim_space(concat("", ["Container ", _value31(container), " uses hostPort ", _value32(port)]))
}

# capabilities
violation contains {"msg": msg, "details": {"rule": "capabilities"}} if {
	applies
	subject := _subject
	_fails33(subject)
	msg := "golden-vocabulary: rule capabilities is violated"
}

# env
violation contains {"msg": msg, "details": {"rule": "env"}} if {
	applies
	subject := _subject
	some container in _list38(subject)
	some env in _list39(container)
	is_string(env.name)
	regex.match("(?i)password", env.name)
	msg := trim_space(concat("", ["Container ", _value40(container), " sets ", _value41(env), " in plain text"]))
}

# count
violation contains {"msg": msg, "details": {"rule": "count"}} if {
	applies
	subject := _subject
	not _holds43(subject)
	msg := "golden-vocabulary: rule count is violated"
}

# logic
violation contains {"msg": msg, "details": {"rule": "logic"}} if {
	applies
	subject := _subject
	not _holds44(subject)
	not subject.metadata.annotations["policy.example.com/exempt"] == "true"
	msg := "golden-vocabulary: rule logic is violated"
}

# precondition
violation contains {"msg": msg, "details": {"rule": "precondition"}} if {
	applies
	subject := _subject
	subject.metadata.labels.tier == "frontend"
	not subject.spec.automountServiceAccountToken == false
	msg := "golden-vocabulary: rule precondition is violated"
}

# implies
violation contains {"msg": msg, "details": {"rule": "implies"}} if {
	applies
	subject := _subject
	subject.spec.hostIPC == true
	not input.review.object.metadata.namespace == "kube-system"
	msg := "golden-vocabulary: rule implies is violated"
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
	_ = subject.metadata.labels.team
}

_holds1(subject) if {
	subject.spec.dnsPolicy == ["ClusterFirst", "Default"][_]
}

_list3(subject) := x if {
	x := subject.spec.containers
	is_array(x)
} else := []

_fails2(subject) if {
	some container in _list3(subject)
	container.imagePullPolicy == ["Never"][_]
}

_list5(subject) := x if {
	x := subject.spec.containers
	is_array(x)
} else := []

_holds6(container) if {
	is_string(container.image)
	startswith(container.image, ["registry.example.com/", "ghcr.io/example/"][_])
}

_fails4(subject) if {
	some container in _list5(subject)
	not _holds6(container)
}

_list8(subject) := x if {
	x := subject.spec.containers
	is_array(x)
} else := []

_fails7(subject) if {
	some container in _list8(subject)
	is_string(container.image)
	endswith(container.image, ":latest")
}

_list9(subject) := x if {
	x := subject.spec.containers
	is_array(x)
} else := []

_value10(container) := _format(x) if {
	x := container.name
} else := "<missing>"

_format(x) := x if is_string(x)

_format(x) := json.marshal(x) if not is_string(x)

_holds11 if {
	is_string(input.review.object.metadata.name)
	regex.match("^[a-z0-9-]{1,40}$", input.review.object.metadata.name)
}

_holds12(subject) if {
	is_string(subject.spec.serviceAccountName)
	regex.match("^app-.*$", subject.spec.serviceAccountName)
}

_list14(subject) := x if {
	x := subject.spec.containers
	is_array(x)
} else := []

_holds15(container) if {
	is_number(container.securityContext.runAsUser)
	container.securityContext.runAsUser >= 1000
}

_fails13(subject) if {
	some container in _list14(subject)
	not _holds15(container)
}

_list17(subject) := x if {
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

_holds18(container) if {
	_quantity(container.resources.limits.memory) <= _quantity("1Gi")
}

_fails16(subject) if {
	some container in _list17(subject)
	not _holds18(container)
}

_list20(subject) := x if {
	x := subject.spec.containers
	is_array(x)
} else := []

_list21(subject) := x if {
	x := subject.spec.initContainers
	is_array(x)
} else := []

_list22(subject) := x if {
	x := subject.spec.ephemeralContainers
	is_array(x)
} else := []

_fails19(subject) if {
	some container in array.concat(array.concat(_list20(subject), _list21(subject)), _list22(subject))
	not container.securityContext.allowPrivilegeEscalation == false
}

_list24(subject) := x if {
	x := subject.spec.volumes
	is_array(x)
} else := []

_any23(subject) if {
	some volume in _list24(subject)
	_ = volume.emptyDir
}

_holds25(subject) if {
	_any23(subject)
}

_list27(subject) := x if {
	x := subject.spec.volumes
	is_array(x)
} else := []

_any26(subject) if {
	some volume in _list27(subject)
	is_string(volume.hostPath.path)
	startswith(volume.hostPath.path, "/var/run")
}

_value28 := _format(x) if {
	x := input.review.object.metadata.name
} else := "<missing>"

_list29(subject) := x if {
	x := subject.spec.containers
	is_array(x)
} else := []

_list30(container) := x if {
	x := container.ports
	is_array(x)
} else := []

_value31(container) := _format(x) if {
	x := container.name
} else := "<missing>"

_value32(port) := _format(x) if {
	x := port.hostPort
} else := "<missing>"

_list34(subject) := x if {
	x := subject.spec.containers
	is_array(x)
} else := []

_list36(container) := x if {
	x := container.securityContext.capabilities.add
	is_array(x)
} else := []

_holds37(add) if {
	add == ["NET_BIND_SERVICE"][_]
}

_fails35(container) if {
	some add in _list36(container)
	not _holds37(add)
}

_fails33(subject) if {
	some container in _list34(subject)
	_fails35(container)
}

_list38(subject) := x if {
	x := subject.spec.containers
	is_array(x)
} else := []

_list39(container) := x if {
	x := container.env
	is_array(x)
} else := []

_value40(container) := _format(x) if {
	x := container.name
} else := "<missing>"

_value41(env) := _format(x) if {
	x := env.name
} else := "<missing>"

_list42(subject) := x if {
	x := subject.spec.containers
	is_array(x)
} else := []

_holds43(subject) if {
	count(_list42(subject)) <= 5
}

_holds44(subject) if {
	subject.spec.securityContext.runAsNonRoot == true
	_ = subject.spec.securityContext.seccompProfile.type
}
