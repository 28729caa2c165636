package airlock

// Field identifies a known Airlock field: every field of the Airlock Gateway
// JSON log dictionary plus @timestamp.
type Field uint8

// Known fields. The order is arbitrary but fixed; NumFields counts them.
const (
	FieldTimestamp Field = iota
	FieldHost
	FieldProgram
	FieldPid
	FieldPriority
	FieldFacility
	FieldLogID
	FieldLogCat
	FieldMessage
	FieldRcptID
	FieldReqID
	FieldSessID
	FieldCorrID
	FieldCorrID2
	FieldCorrID3
	FieldAuditToken
	FieldSessAuth
	FieldTechClientID
	FieldTechClientDisplayName
	FieldTechClientLabel
	FieldTechClientSubscriptionID
	FieldTenant
	FieldMapping
	FieldEntryURL
	FieldEntryPath
	FieldEntryQuery
	FieldVhost
	FieldVhostIP
	FieldVhostPort
	FieldVhostProto
	FieldVhostProtoVers
	FieldHTTPMethod
	FieldHTTPStatus
	FieldHTTPUserAgent
	FieldHTTPAcceptLang
	FieldHTTPReferrer
	FieldHTTPRedirectURL
	FieldBackendURL
	FieldReqSize
	FieldRespSize
	FieldAction
	FieldThMode
	FieldClientIP
	FieldFrontSrcIP
	FieldFrontSrcPort
	FieldFrontDstIP
	FieldFrontDstPort
	FieldBackSrcIP
	FieldBackSrcPort
	FieldBackDstIP
	FieldBackDstPort
	FieldBackHost
	FieldBackHostIP
	FieldBackHostPort
	FieldBackHostProto
	FieldErrorCode
	FieldGeoIPContinent
	FieldGeoIPCountry
	FieldGeoIPLocation
	FieldFrontTLSSessID
	FieldFrontTLSProto
	FieldFrontTLSCipher
	FieldFrontTLSClientSubjectDN
	FieldBlockType
	FieldAttackType
	FieldConstraint
	FieldPosition
	FieldLifetime
	FieldReason
	FieldFile

	NumFields
)

var fieldNames = [NumFields]string{
	FieldTimestamp:                "@timestamp",
	FieldHost:                     "host",
	FieldProgram:                  "program",
	FieldPid:                      "pid",
	FieldPriority:                 "priority",
	FieldFacility:                 "facility",
	FieldLogID:                    "log_id",
	FieldLogCat:                   "log_cat",
	FieldMessage:                  "message",
	FieldRcptID:                   "rcpt_id",
	FieldReqID:                    "req_id",
	FieldSessID:                   "sess_id",
	FieldCorrID:                   "corr_id",
	FieldCorrID2:                  "corr_id_2",
	FieldCorrID3:                  "corr_id_3",
	FieldAuditToken:               "audit_token",
	FieldSessAuth:                 "sess_auth",
	FieldTechClientID:             "tech_client_id",
	FieldTechClientDisplayName:    "tech_client_display_name",
	FieldTechClientLabel:          "tech_client_label",
	FieldTechClientSubscriptionID: "tech_client_subscription_id",
	FieldTenant:                   "tenant",
	FieldMapping:                  "mapping",
	FieldEntryURL:                 "entry_url",
	FieldEntryPath:                "entry_path",
	FieldEntryQuery:               "entry_query",
	FieldVhost:                    "vhost",
	FieldVhostIP:                  "vhost_ip",
	FieldVhostPort:                "vhost_port",
	FieldVhostProto:               "vhost_proto",
	FieldVhostProtoVers:           "vhost_proto_vers",
	FieldHTTPMethod:               "http_method",
	FieldHTTPStatus:               "http_status",
	FieldHTTPUserAgent:            "http_user_agent",
	FieldHTTPAcceptLang:           "http_accept_lang",
	FieldHTTPReferrer:             "http_referrer",
	FieldHTTPRedirectURL:          "http_redirect_url",
	FieldBackendURL:               "backend_url",
	FieldReqSize:                  "req_size",
	FieldRespSize:                 "resp_size",
	FieldAction:                   "action",
	FieldThMode:                   "th_mode",
	FieldClientIP:                 "client_ip",
	FieldFrontSrcIP:               "front_src_ip",
	FieldFrontSrcPort:             "front_src_port",
	FieldFrontDstIP:               "front_dst_ip",
	FieldFrontDstPort:             "front_dst_port",
	FieldBackSrcIP:                "back_src_ip",
	FieldBackSrcPort:              "back_src_port",
	FieldBackDstIP:                "back_dst_ip",
	FieldBackDstPort:              "back_dst_port",
	FieldBackHost:                 "back_host",
	FieldBackHostIP:               "back_host_ip",
	FieldBackHostPort:             "back_host_port",
	FieldBackHostProto:            "back_host_proto",
	FieldErrorCode:                "error_code",
	FieldGeoIPContinent:           "geoip_continent",
	FieldGeoIPCountry:             "geoip_country",
	FieldGeoIPLocation:            "geoip_location",
	FieldFrontTLSSessID:           "front_tls_sess_id",
	FieldFrontTLSProto:            "front_tls_proto",
	FieldFrontTLSCipher:           "front_tls_cipher",
	FieldFrontTLSClientSubjectDN:  "front_tls_client_subject_dn",
	FieldBlockType:                "block_type",
	FieldAttackType:               "attack_type",
	FieldConstraint:               "constraint",
	FieldPosition:                 "position",
	FieldLifetime:                 "lifetime",
	FieldReason:                   "reason",
	FieldFile:                     "file",
}

// Name returns the field's JSON key, e.g. "front_src_port", or "" for a value
// that is not a known field.
func (f Field) Name() string {
	if f >= NumFields {
		return ""
	}
	return fieldNames[f]
}

// LookupField returns the field whose JSON key is key. It does not allocate.
func LookupField(key []byte) (Field, bool) {
	// A switch on string(key) compiles to comparisons without a conversion.
	switch string(key) {
	case "@timestamp":
		return FieldTimestamp, true
	case "host":
		return FieldHost, true
	case "program":
		return FieldProgram, true
	case "pid":
		return FieldPid, true
	case "priority":
		return FieldPriority, true
	case "facility":
		return FieldFacility, true
	case "log_id":
		return FieldLogID, true
	case "log_cat":
		return FieldLogCat, true
	case "message":
		return FieldMessage, true
	case "rcpt_id":
		return FieldRcptID, true
	case "req_id":
		return FieldReqID, true
	case "sess_id":
		return FieldSessID, true
	case "corr_id":
		return FieldCorrID, true
	case "corr_id_2":
		return FieldCorrID2, true
	case "corr_id_3":
		return FieldCorrID3, true
	case "audit_token":
		return FieldAuditToken, true
	case "sess_auth":
		return FieldSessAuth, true
	case "tech_client_id":
		return FieldTechClientID, true
	case "tech_client_display_name":
		return FieldTechClientDisplayName, true
	case "tech_client_label":
		return FieldTechClientLabel, true
	case "tech_client_subscription_id":
		return FieldTechClientSubscriptionID, true
	case "tenant":
		return FieldTenant, true
	case "mapping":
		return FieldMapping, true
	case "entry_url":
		return FieldEntryURL, true
	case "entry_path":
		return FieldEntryPath, true
	case "entry_query":
		return FieldEntryQuery, true
	case "vhost":
		return FieldVhost, true
	case "vhost_ip":
		return FieldVhostIP, true
	case "vhost_port":
		return FieldVhostPort, true
	case "vhost_proto":
		return FieldVhostProto, true
	case "vhost_proto_vers":
		return FieldVhostProtoVers, true
	case "http_method":
		return FieldHTTPMethod, true
	case "http_status":
		return FieldHTTPStatus, true
	case "http_user_agent":
		return FieldHTTPUserAgent, true
	case "http_accept_lang":
		return FieldHTTPAcceptLang, true
	case "http_referrer":
		return FieldHTTPReferrer, true
	case "http_redirect_url":
		return FieldHTTPRedirectURL, true
	case "backend_url":
		return FieldBackendURL, true
	case "req_size":
		return FieldReqSize, true
	case "resp_size":
		return FieldRespSize, true
	case "action":
		return FieldAction, true
	case "th_mode":
		return FieldThMode, true
	case "client_ip":
		return FieldClientIP, true
	case "front_src_ip":
		return FieldFrontSrcIP, true
	case "front_src_port":
		return FieldFrontSrcPort, true
	case "front_dst_ip":
		return FieldFrontDstIP, true
	case "front_dst_port":
		return FieldFrontDstPort, true
	case "back_src_ip":
		return FieldBackSrcIP, true
	case "back_src_port":
		return FieldBackSrcPort, true
	case "back_dst_ip":
		return FieldBackDstIP, true
	case "back_dst_port":
		return FieldBackDstPort, true
	case "back_host":
		return FieldBackHost, true
	case "back_host_ip":
		return FieldBackHostIP, true
	case "back_host_port":
		return FieldBackHostPort, true
	case "back_host_proto":
		return FieldBackHostProto, true
	case "error_code":
		return FieldErrorCode, true
	case "geoip_continent":
		return FieldGeoIPContinent, true
	case "geoip_country":
		return FieldGeoIPCountry, true
	case "geoip_location":
		return FieldGeoIPLocation, true
	case "front_tls_sess_id":
		return FieldFrontTLSSessID, true
	case "front_tls_proto":
		return FieldFrontTLSProto, true
	case "front_tls_cipher":
		return FieldFrontTLSCipher, true
	case "front_tls_client_subject_dn":
		return FieldFrontTLSClientSubjectDN, true
	case "block_type":
		return FieldBlockType, true
	case "attack_type":
		return FieldAttackType, true
	case "constraint":
		return FieldConstraint, true
	case "position":
		return FieldPosition, true
	case "lifetime":
		return FieldLifetime, true
	case "reason":
		return FieldReason, true
	case "file":
		return FieldFile, true
	}
	return 0, false
}
