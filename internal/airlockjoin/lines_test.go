package airlockjoin

// The WELF lines the tests expect, as the collector renders them: the
// number of records an output stands for, then the record.
const (
	// The request of request_conntrace and request_summary.
	lineRequest = `[2] id=firewall time="2024-03-05 08:12:44" fw=gw01 pri=6 proto=https src=198.51.100.23 srcport=51544 dst=10.20.1.17 dstport=8080 dstname=shop.example.com op=GET arg=/cart?item=42 result=200 sent=612 rcvd=18342 ref=https://shop.example.com/ agent=Mozilla/5.0 log_id=WR-SG-SUMMARY req_id=ZebVfGq3rXx9Qm2kYcE1HwAAAEk sess_id=3f9a6c0d2b7e48a1c5d0e9f8a7b6c5d4 mapping=shop sess_auth=false front_dst=203.0.113.10:443 back_src=10.20.0.5:40118 back_host=app1.internal back_host_proto=http backend_url=http://10.20.1.17:8080/cart?item=42 vhost_proto_vers=HTTP/2 http_accept_lang=de-CH`
	// The same with its TLS session start.
	lineRequestTLS = `[3] id=firewall time="2024-03-05 08:12:44" fw=gw01 pri=6 proto=https src=198.51.100.23 srcport=51544 dst=10.20.1.17 dstport=8080 dstname=shop.example.com op=GET arg=/cart?item=42 result=200 sent=612 rcvd=18342 ref=https://shop.example.com/ agent=Mozilla/5.0 log_id=WR-SG-SUMMARY req_id=ZebVfGq3rXx9Qm2kYcE1HwAAAEk sess_id=3f9a6c0d2b7e48a1c5d0e9f8a7b6c5d4 mapping=shop sess_auth=false front_dst=203.0.113.10:443 back_src=10.20.0.5:40118 back_host=app1.internal back_host_proto=http backend_url=http://10.20.1.17:8080/cart?item=42 vhost_proto_vers=HTTP/2 http_accept_lang=de-CH tls_sess_id=5f1c0a9e3b7d tls_proto=TLSv1.3 tls_cipher=TLS_AES_128_GCM_SHA256 geoip_continent=EU geoip_country=CH`
	// request_summary alone, complete.
	lineRequestSummary = `[1] id=firewall time="2024-03-05 08:12:44" fw=gw01 pri=6 proto=https src=198.51.100.23 dst=10.20.1.17 dstport=8080 dstname=shop.example.com op=GET arg=/cart?item=42 result=200 sent=612 rcvd=18342 ref=https://shop.example.com/ agent=Mozilla/5.0 log_id=WR-SG-SUMMARY req_id=ZebVfGq3rXx9Qm2kYcE1HwAAAEk sess_id=3f9a6c0d2b7e48a1c5d0e9f8a7b6c5d4 mapping=shop sess_auth=false vhost_addr=203.0.113.10:443 back_host=app1.internal back_host_proto=http backend_url=http://10.20.1.17:8080/cart?item=42 vhost_proto_vers=HTTP/2 http_accept_lang=de-CH`
	// request_conntrace alone, without partial=<reason>.
	lineRequestConntrace = `[1] id=firewall time="2024-03-05 08:12:44" fw=gw01 pri=6 src=198.51.100.23 srcport=51544 dst=10.20.1.17 dstport=8080 log_id=WR-SG-CONNTRACE req_id=ZebVfGq3rXx9Qm2kYcE1HwAAAEk sess_id=3f9a6c0d2b7e48a1c5d0e9f8a7b6c5d4 mapping=shop front_dst=203.0.113.10:443 back_src=10.20.0.5:40118`

	// The blocked request: blocked_conntrace, _summary, _block, _blockdet.
	lineBlocked = `[4] id=firewall time="2024-03-05 08:13:02" fw=gw01 pri=4 rule="deny rule/(default) SQL Injection" proto=https src=198.51.100.23 srcport=51562 dst=203.0.113.10 dstport=443 dstname=shop.example.com op=GET arg="/search?s=' or 1=1--" result=400 sent=402 rcvd=1204 cat="SQL injection" cat_action=block msg="Blocked parameter: \x22s=' or 1=1--\x22" agent=sqlmap/1.7 log_id=WR-SG-BLOCK-110-01 req_id=ZebVjmq3rXx9Qm2kYcE1IAAAAE0 sess_id=3f9a6c0d2b7e48a1c5d0e9f8a7b6c5d4 mapping=shop sess_auth=false th_mode=block position="query parameter 's'" vhost_proto_vers=HTTP/2 geoip_continent=EU geoip_country=CH`
	// Its conntrace and summary only.
	lineBlockedUnblocked = `[2] id=firewall time="2024-03-05 08:13:02" fw=gw01 pri=6 proto=https src=198.51.100.23 srcport=51562 dst=203.0.113.10 dstport=443 dstname=shop.example.com op=GET arg="/search?s=' or 1=1--" result=400 sent=402 rcvd=1204 agent=sqlmap/1.7 log_id=WR-SG-SUMMARY req_id=ZebVjmq3rXx9Qm2kYcE1IAAAAE0 sess_id=3f9a6c0d2b7e48a1c5d0e9f8a7b6c5d4 mapping=shop sess_auth=false vhost_proto_vers=HTTP/2`
	// Its block and summary only.
	lineBlockedNoConntrace = `[2] id=firewall time="2024-03-05 08:13:02" fw=gw01 pri=4 rule="deny rule/(default) SQL Injection" proto=https src=198.51.100.23 dst=203.0.113.10 dstport=443 dstname=shop.example.com op=GET arg="/search?s=' or 1=1--" result=400 sent=402 rcvd=1204 cat="SQL injection" cat_action=block msg="Request blocked by deny rule" agent=sqlmap/1.7 log_id=WR-SG-BLOCK-110-01 req_id=ZebVjmq3rXx9Qm2kYcE1IAAAAE0 sess_id=3f9a6c0d2b7e48a1c5d0e9f8a7b6c5d4 mapping=shop sess_auth=false th_mode=block position="query parameter 's'" vhost_proto_vers=HTTP/2 geoip_continent=EU geoip_country=CH`
	// Its summary alone, without partial=<reason>.
	lineBlockedSummary = `[1] id=firewall time="2024-03-05 08:13:02" fw=gw01 pri=6 proto=https src=198.51.100.23 dst=203.0.113.10 dstport=443 dstname=shop.example.com op=GET arg="/search?s=' or 1=1--" result=400 sent=402 rcvd=1204 agent=sqlmap/1.7 log_id=WR-SG-SUMMARY req_id=ZebVjmq3rXx9Qm2kYcE1IAAAAE0 sess_id=3f9a6c0d2b7e48a1c5d0e9f8a7b6c5d4 mapping=shop sess_auth=false vhost_proto_vers=HTTP/2`
	// Its block alone, without partial=<reason>.
	lineBlockedBlock = `[1] id=firewall time="2024-03-05 08:13:02" fw=gw01 pri=4 rule="deny rule/(default) SQL Injection" proto=https src=198.51.100.23 dst=203.0.113.10 dstport=443 dstname=shop.example.com cat="SQL injection" cat_action=block msg="Request blocked by deny rule" log_id=WR-SG-BLOCK-110-01 req_id=ZebVjmq3rXx9Qm2kYcE1IAAAAE0 sess_id=3f9a6c0d2b7e48a1c5d0e9f8a7b6c5d4 mapping=shop sess_auth=false th_mode=block position="query parameter 's'" geoip_continent=EU geoip_country=CH`
	// Its block detail alone, without partial=<reason>.
	lineBlockedDetail = `[1] id=firewall time="2024-03-05 08:13:02" fw=gw01 pri=4 rule="deny rule" cat_action=block msg="Blocked parameter: \x22s=' or 1=1--\x22" log_id=WR-SG-BLOCKDET-110-01 req_id=ZebVjmq3rXx9Qm2kYcE1IAAAAE0 sess_id=3f9a6c0d2b7e48a1c5d0e9f8a7b6c5d4 mapping=shop`

	// The back-end error: backend_error and backend_summary.
	lineBackend = `[2] id=firewall time="2024-03-05 09:01:17" fw=gw01 pri=4 proto=https src=192.0.2.44 dst=10.20.1.18 dstport=8080 dstname=shop.example.com user=asmith@example.com op=POST arg=/api/orders result=502 sent=1290 rcvd=310 msg="Back-end connection failed (error_code 7)" log_id=WR-SG-BACK-502 req_id=ZebkWWq3rXx9Qm2kYcE1LQAAAFc sess_id=8c1d2e3f4a5b6c7d8e9f0a1b2c3d4e5f mapping=shop vhost_addr=203.0.113.10:443 back_host=app2.internal back_host_proto=http backend_url=http://10.20.1.18:8080/api/orders`
	// backend_error alone, without partial=<reason>.
	lineBackendAlone = `[1] id=firewall time="2024-03-05 09:01:17" fw=gw01 pri=4 dst=10.20.1.18 dstport=8080 msg="Back-end connection failed (error_code 7)" log_id=WR-SG-BACK-502 req_id=ZebkWWq3rXx9Qm2kYcE1LQAAAFc sess_id=8c1d2e3f4a5b6c7d8e9f0a1b2c3d4e5f mapping=shop back_host=app2.internal back_host_proto=http backend_url=http://10.20.1.18:8080/api/orders`

	// login_summary (carries the user) and account_summary (does not)
	// alone, within the session of session_start.
	lineLogin   = `[1] id=firewall time="2024-03-05 08:13:30" fw=gw01 pri=6 proto=https src=198.51.100.23 dst=10.20.1.17 dstport=8080 dstname=shop.example.com user=jdoe@example.com op=POST arg=/login result=302 sent=845 rcvd=0 ref=https://shop.example.com/cart agent=Mozilla/5.0 log_id=WR-SG-SUMMARY req_id=ZebVqGq3rXx9Qm2kYcE1JAAAAE8 sess_id=3f9a6c0d2b7e48a1c5d0e9f8a7b6c5d4 mapping=shop sess_auth=true vhost_addr=203.0.113.10:443 back_host=app1.internal back_host_proto=http backend_url=http://10.20.1.17:8080/login vhost_proto_vers=HTTP/2 http_redirect_url=/account`
	lineAccount = `[1] id=firewall time="2024-03-05 08:13:31" fw=gw01 pri=6 proto=https src=198.51.100.23 dst=10.20.1.17 dstport=8080 dstname=shop.example.com user=jdoe@example.com op=GET arg=/account result=200 sent=590 rcvd=9310 agent=Mozilla/5.0 log_id=WR-SG-SUMMARY req_id=ZebVq2q3rXx9Qm2kYcE1JQAAAE9 sess_id=3f9a6c0d2b7e48a1c5d0e9f8a7b6c5d4 mapping=shop sess_auth=true vhost_addr=203.0.113.10:443 back_host=app1.internal`
	// account_summary outside a known session: no user.
	lineAccountAnonymous = `[1] id=firewall time="2024-03-05 08:13:31" fw=gw01 pri=6 proto=https src=198.51.100.23 dst=10.20.1.17 dstport=8080 dstname=shop.example.com op=GET arg=/account result=200 sent=590 rcvd=9310 agent=Mozilla/5.0 log_id=WR-SG-SUMMARY req_id=ZebVq2q3rXx9Qm2kYcE1JQAAAE9 sess_id=3f9a6c0d2b7e48a1c5d0e9f8a7b6c5d4 mapping=shop sess_auth=true vhost_addr=203.0.113.10:443 back_host=app1.internal`

	// The session record of session_start and session_end.
	lineSession = `[2] id=firewall time="2024-03-05 08:48:10" fw=gw01 pri=6 proto=https src=198.51.100.23 dst=203.0.113.10 dstport=443 dstname=shop.example.com user=jdoe@example.com arg=/cart?item=42 duration=2126 msg="idle timeout" agent=Mozilla/5.0 log_id=WR-SG-SESS-005 req_id=ZebVfGq3rXx9Qm2kYcE1HwAAAEk sess_id=3f9a6c0d2b7e48a1c5d0e9f8a7b6c5d4 mapping=shop http_accept_lang=de-CH geoip_continent=EU geoip_country=CH geoip_location=47.37,8.54`
	// session_start alone, without partial=<reason>.
	lineSessionStart = `[1] id=firewall time="2024-03-05 08:12:44" fw=gw01 pri=6 proto=https src=198.51.100.23 dst=203.0.113.10 dstport=443 dstname=shop.example.com arg=/cart?item=42 agent=Mozilla/5.0 log_id=WR-SG-SESS-004 req_id=ZebVfGq3rXx9Qm2kYcE1HwAAAEk sess_id=3f9a6c0d2b7e48a1c5d0e9f8a7b6c5d4 mapping=shop http_accept_lang=de-CH geoip_continent=EU geoip_country=CH geoip_location=47.37,8.54`
	// session_start as it came, with its message.
	lineSessionStartAsIs = `[1] id=firewall time="2024-03-05 08:12:44" fw=gw01 pri=6 proto=https src=198.51.100.23 dst=203.0.113.10 dstport=443 dstname=shop.example.com arg=/cart?item=42 msg="Session created" agent=Mozilla/5.0 log_id=WR-SG-SESS-004 req_id=ZebVfGq3rXx9Qm2kYcE1HwAAAEk sess_id=3f9a6c0d2b7e48a1c5d0e9f8a7b6c5d4 mapping=shop http_accept_lang=de-CH geoip_continent=EU geoip_country=CH geoip_location=47.37,8.54`
	// session_end alone.
	lineSessionEnd = `[1] id=firewall time="2024-03-05 08:48:10" fw=gw01 pri=6 user=jdoe@example.com duration=2126 msg="idle timeout" log_id=WR-SG-SESS-005 sess_id=3f9a6c0d2b7e48a1c5d0e9f8a7b6c5d4`

	// reject, passed through.
	lineReject = `[1] id=firewall time="2024-03-05 08:14:00" fw=gw01 pri=5 src=198.51.100.99 dstname=shop.example.com op=CONNECT msg="Request rejected: method not allowed" log_id=WR-SG-REJECT-101 req_id=ZebVtGq3rXx9Qm2kYcE1KAAAAFA`
)

// withPartial appends partial=<why> to a line.
func withPartial(line, why string) string { return line + " partial=" + why }
