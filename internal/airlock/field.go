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

// fieldNames is the one list of the known fields' JSON keys: LookupField is
// generated from it.
//
//go:generate go run gen_lookup.go
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
