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
	some container in _list2(subject)
	container.imagePullPolicy == ["Never"][_]
	msg := "golden-vocabulary: rule not-one-of is violated"
}

# prefix
violation contains {"msg": msg, "details": {"rule": "prefix"}} if {
	applies
	subject := _subject
	some container in _list3(subject)
	not _holds4(container)
	msg := "golden-vocabulary: rule prefix is violated"
}

# suffix
violation contains {"msg": msg, "details": {"rule": "suffix"}} if {
	applies
	subject := _subject
	some container in _list5(subject)
	is_string(container.image)
	endswith(container.image, ":latest")
	msg := "golden-vocabulary: rule suffix is violated"
}

# contains
violation contains {"msg": msg, "details": {"rule": "contains"}} if {
	applies
	subject := _subject
	some container in _list6(subject)
	is_string(container.image)
	contains(container.image, "@sha256:")
	msg := concat("", ["Container ", _value7(container), " pins a digest"])
}

# regex
violation contains {"msg": msg, "details": {"rule": "regex"}} if {
	applies
	subject := _subject
	not _holds8(subject)
	msg := "golden-vocabulary: rule regex is violated"
}

# glob
violation contains {"msg": msg, "details": {"rule": "glob"}} if {
	applies
	subject := _subject
	not _holds9(subject)
	msg := "golden-vocabulary: rule glob is violated"
}

# numeric
violation contains {"msg": msg, "details": {"rule": "numeric"}} if {
	applies
	subject := _subject
	some container in _list10(subject)
	not _holds11(container)
	msg := "golden-vocabulary: rule numeric is violated"
}

# quantity
violation contains {"msg": msg, "details": {"rule": "quantity"}} if {
	applies
	subject := _subject
	some container in _list12(subject)
	not _quantity(container.resources.limits.memory) <= _quantity("1Gi")
	msg := "golden-vocabulary: rule quantity is violated"
}

# all-of
violation contains {"msg": msg, "details": {"rule": "all-of"}} if {
	applies
	subject := _subject
	some container in array.concat(array.concat(_list13(subject), _list14(subject)), _list15(subject))
	not container.securityContext.allowPrivilegeEscalation == false
	msg := "golden-vocabulary: rule all-of is violated"
}

# any-of
violation contains {"msg": msg, "details": {"rule": "any-of"}} if {
	applies
	subject := _subject
	not _holds17(subject)
	msg := "golden-vocabulary: rule any-of is violated"
}

# none-of
violation contains {"msg": msg, "details": {"rule": "none-of"}} if {
	applies
	subject := _subject
	some volume in _list18(subject)
	is_string(volume.hostPath.path)
	startswith(volume.hostPath.path, "/var/run")
	msg := concat("", ["Volume ", _value19(subject), " mounts the host"])
}

# ports
violation contains {"msg": msg, "details": {"rule": "ports"}} if {
	applies
	subject := _subject
	some container in _list20(subject)
	some port in _list21(container)
	_ = port.hostPort
	msg := concat("", ["Container ", _value22(container), " uses hostPort ", _value23(port)])
}

# capabilities
violation contains {"msg": msg, "details": {"rule": "capabilities"}} if {
	applies
	subject := _subject
	some container in _list24(subject)
	some add in _list25(container)
	not _holds26(add)
	msg := "golden-vocabulary: rule capabilities is violated"
}

# env
violation contains {"msg": msg, "details": {"rule": "env"}} if {
	applies
	subject := _subject
	some container in _list27(subject)
	some env in _list28(container)
	is_string(env.name)
	regex.match("(?i)password", env.name)
	msg := concat("", ["Container ", _value29(container), " sets ", _value30(env), " in plain text"])
}

# count
violation contains {"msg": msg, "details": {"rule": "count"}} if {
	applies
	subject := _subject
	not count(_list31(subject)) <= 5
	msg := "golden-vocabulary: rule count is violated"
}

# logic
violation contains {"msg": msg, "details": {"rule": "logic"}} if {
	applies
	subject := _subject
	not _holds32(subject)
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
	not subject.metadata.namespace == "kube-system"
	msg := "golden-vocabulary: rule implies is violated"
}

# Whether the policy applies to the review (operation and precondition); every violation requires it.
applies if _operation_matches

# Gatekeeper audit reviews carry no operation; admission reviews must carry a matched one.
_operation_matches if not input.review.operation
_operation_matches if input.review.operation in {"CREATE", "UPDATE"}

# The pod the rules read: the Pod itself, or the pod template of a controller.
_subject := input.review.object if input.review.object.kind == "Pod"
_subject := object.get(object.get(input.review.object, "spec", {}), "template", {}) if input.review.object.kind in {"Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Job"}
_subject := object.get(object.get(object.get(object.get(input.review.object, "spec", {}), "jobTemplate", {}), "spec", {}), "template", {}) if input.review.object.kind in {"CronJob"}

_holds0(subject) if {
	_ = subject.metadata.labels.team
}

_holds1(subject) if {
	subject.spec.dnsPolicy == ["ClusterFirst", "Default"][_]
}

_list2(subject) := x if {
	x := subject.spec.containers
	is_array(x)
} else := []

_list3(subject) := x if {
	x := subject.spec.containers
	is_array(x)
} else := []

_holds4(container) if {
	is_string(container.image)
	startswith(container.image, ["registry.example.com/", "ghcr.io/example/"][_])
}

_list5(subject) := x if {
	x := subject.spec.containers
	is_array(x)
} else := []

_list6(subject) := x if {
	x := subject.spec.containers
	is_array(x)
} else := []

_value7(container) := _format(x) if {
	x := container.name
} else := ""

_format(x) := x if is_string(x)

_format(x) := json.marshal(x) if not is_string(x)

_holds8(subject) if {
	is_string(subject.metadata.name)
	regex.match("^[a-z0-9-]{1,40}$", subject.metadata.name)
}

_holds9(subject) if {
	is_string(subject.spec.serviceAccountName)
	regex.match("^app-.*$", subject.spec.serviceAccountName)
}

_list10(subject) := x if {
	x := subject.spec.containers
	is_array(x)
} else := []

_holds11(container) if {
	is_number(container.securityContext.runAsUser)
	container.securityContext.runAsUser >= 1000
}

_list12(subject) := x if {
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

_list13(subject) := x if {
	x := subject.spec.containers
	is_array(x)
} else := []

_list14(subject) := x if {
	x := subject.spec.initContainers
	is_array(x)
} else := []

_list15(subject) := x if {
	x := subject.spec.ephemeralContainers
	is_array(x)
} else := []

_list16(subject) := x if {
	x := subject.spec.volumes
	is_array(x)
} else := []

_holds17(subject) if {
	some volume in _list16(subject)
	_ = volume.emptyDir
}

_list18(subject) := x if {
	x := subject.spec.volumes
	is_array(x)
} else := []

_value19(subject) := _format(x) if {
	x := subject.metadata.name
} else := ""

_list20(subject) := x if {
	x := subject.spec.containers
	is_array(x)
} else := []

_list21(container) := x if {
	x := container.ports
	is_array(x)
} else := []

_value22(container) := _format(x) if {
	x := container.name
} else := ""

_value23(port) := _format(x) if {
	x := port.hostPort
} else := ""

_list24(subject) := x if {
	x := subject.spec.containers
	is_array(x)
} else := []

_list25(container) := x if {
	x := container.securityContext.capabilities.add
	is_array(x)
} else := []

_holds26(add) if {
	add == ["NET_BIND_SERVICE"][_]
}

_list27(subject) := x if {
	x := subject.spec.containers
	is_array(x)
} else := []

_list28(container) := x if {
	x := container.env
	is_array(x)
} else := []

_value29(container) := _format(x) if {
	x := container.name
} else := ""

_value30(env) := _format(x) if {
	x := env.name
} else := ""

_list31(subject) := x if {
	x := subject.spec.containers
	is_array(x)
} else := []

_holds32(subject) if {
	subject.spec.securityContext.runAsNonRoot == true
	_ = subject.spec.securityContext.seccompProfile.type
}
