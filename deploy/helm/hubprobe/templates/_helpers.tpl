{{/* Names, as Helm's own scaffold makes them: the release name, or release-chart when they differ */}}
{{- define "hubprobe.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "hubprobe.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{- define "hubprobe.selectorLabels" -}}
app.kubernetes.io/name: {{ include "hubprobe.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{- define "hubprobe.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{ include "hubprobe.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end }}

{{- define "hubprobe.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "hubprobe.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{- define "hubprobe.image" -}}
{{- if .Values.image.digest }}
{{- printf "%s@%s" .Values.image.repository .Values.image.digest }}
{{- else }}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) }}
{{- end }}
{{- end }}

{{/* The server's base path ("/" or "/services/hubprobe/"), the prefix of /health for the probes */}}
{{- define "hubprobe.basePath" -}}
{{- $server := .Values.config.server | default dict }}
{{- $p := $server.base_path | default "/" }}
{{- if not (hasSuffix "/" $p) }}{{ $p = printf "%s/" $p }}{{ end }}
{{- $p }}
{{- end }}

{{/* A secret source ({existingSecret, key, value}) is set when either is */}}
{{- define "hubprobe.secretSet" -}}
{{- if or .existingSecret .value }}true{{ end }}
{{- end }}

{{/* The chart's own Secret holds every value given in values (secretEnv, apiToken, readToken) */}}
{{- define "hubprobe.secretName" -}}
{{- include "hubprobe.fullname" . }}
{{- end }}

{{/* secretKeyRef of a secret source: the existing Secret's key, or the chart Secret's key $key */}}
{{- define "hubprobe.secretKeyRef" -}}
{{- $src := index . 0 }}{{ $root := index . 1 }}{{ $key := index . 2 -}}
{{- /* quoted: a Secret's key may read as a number or a boolean in YAML ("0123", "true") */}}
{{- if $src.existingSecret }}
name: {{ $src.existingSecret | quote }}
key: {{ required (printf "%s: existingSecret needs a key" $key) $src.key | toString | quote }}
{{- else }}
name: {{ include "hubprobe.secretName" $root | quote }}
key: {{ $key | quote }}
{{- end }}
{{- end }}

{{/* The service config the ConfigMap carries: config from values, the tokens referenced by env */}}
{{- define "hubprobe.config" -}}
{{- $c := deepCopy .Values.config }}
{{- $server := dict }}
{{- if hasKey $c "server" }}{{ $server = get $c "server" }}{{ end }}
{{- if include "hubprobe.secretSet" .Values.apiToken }}{{ $_ := set $server "api_token" "${env:HUBPROBE_API_TOKEN}" }}{{ end }}
{{- if include "hubprobe.secretSet" .Values.readToken }}{{ $_ := set $server "read_token" "${env:HUBPROBE_READ_TOKEN}" }}{{ end }}
{{- $_ := set $c "server" $server }}
{{- /* values merge maps: the chart's default history.path would stay beside a url given in values */}}
{{- with $c.history }}{{ if .url }}{{ $_ := unset . "path" }}{{ end }}{{ end }}
{{- toYaml $c }}
{{- end }}

{{/* A secret written in config must be a reference: ${env:NAME} or ${file:/path} */}}
{{- define "hubprobe.checkReference" -}}
{{- $at := index . 0 }}{{ $v := index . 1 }}{{ $refs := index . 2 }}
{{- if and $v (not (regexMatch "^\\$\\{(env|file):[^}]+\\}$" (toString $v))) }}
{{- fail (printf "config.%s: a secret is written in clear; give it as ${env:NAME} (see secretEnv) or ${file:/path}, never in the ConfigMap" $at) }}
{{- end }}
{{- /* the variables secrets are read from, by the key that reads each: env must not give them as values */}}
{{- with (regexFind "^\\$\\{env:[^}]+\\}$" (toString $v)) }}{{ $_ := set $refs (trimSuffix "}" (trimPrefix "${env:" .)) $at }}{{ end }}
{{- end }}

{{/* Refuses what cannot work, with the key named: run from every template that needs the config */}}
{{- define "hubprobe.validate" -}}
{{- $c := .Values.config }}
{{- $history := $c.history | default dict }}
{{- if and (gt (int .Values.replicas) 1) (not $history.url) }}
{{- fail (printf "replicas: %d needs config.history.url (PostgreSQL): the H2 history (config.history.path) can be opened by one replica only" (int .Values.replicas)) }}
{{- end }}
{{- range $name, $src := dict "apiToken" .Values.apiToken "readToken" .Values.readToken }}
{{- if and $src.existingSecret $src.value }}{{ fail (printf "%s: existingSecret and value are both set; give one" $name) }}{{ end }}
{{- end }}
{{- range $name, $src := .Values.secretEnv }}
{{- if and $src.existingSecret $src.value }}{{ fail (printf "secretEnv.%s: existingSecret and value are both set; give one" $name) }}{{ end }}
{{- if not (or $src.existingSecret $src.value) }}{{ fail (printf "secretEnv.%s: needs existingSecret (and key) or value" $name) }}{{ end }}
{{- end }}
{{- $refs := dict }}
{{- $server := $c.server | default dict }}
{{- if and (include "hubprobe.secretSet" .Values.apiToken) $server.api_token }}{{ fail "config.server.api_token and apiToken are both set; give apiToken only (the chart references it)" }}{{ end }}
{{- if and (include "hubprobe.secretSet" .Values.readToken) $server.read_token }}{{ fail "config.server.read_token and readToken are both set; give readToken only (the chart references it)" }}{{ end }}
{{- include "hubprobe.checkReference" (list "server.api_token" $server.api_token $refs) }}
{{- include "hubprobe.checkReference" (list "server.read_token" $server.read_token $refs) }}
{{- with $server.hub_oauth }}{{ include "hubprobe.checkReference" (list "server.hub_oauth.client_secret" .client_secret $refs) }}{{ end }}
{{- include "hubprobe.checkReference" (list "history.password" $history.password $refs) }}
{{- range $i, $hub := $c.hubs }}
{{- with $hub.auth }}
{{- include "hubprobe.checkReference" (list (printf "hubs[%d].auth.token" $i) .token $refs) }}
{{- include "hubprobe.checkReference" (list (printf "hubs[%d].auth.password" $i) .password $refs) }}
{{- end }}
{{- end }}
{{- $alerting := $c.alerting | default dict }}
{{- range $i, $n := $alerting.notifiers }}
{{- with $n.pagerduty }}{{ include "hubprobe.checkReference" (list (printf "alerting.notifiers[%d].pagerduty.routing_key" $i) .routing_key $refs) }}{{ end }}
{{- with $n.slack }}{{ include "hubprobe.checkReference" (list (printf "alerting.notifiers[%d].slack.webhook_url" $i) .webhook_url $refs) }}{{ end }}
{{- /* the service takes a webhook's URL as a secret too (its path or query is the credential) */}}
{{- with $n.webhook }}{{ include "hubprobe.checkReference" (list (printf "alerting.notifiers[%d].webhook.url" $i) .url $refs) }}{{ end }}
{{- end }}
{{- /* a secret's variable given as a plain value would sit in clear in the Deployment, for anyone who may read it */}}
{{- range $i, $e := .Values.env }}
{{- if and (hasKey $refs $e.name) (hasKey $e "value") }}
{{- fail (printf "env[%d] (%s): config.%s reads a secret from it; give it by valueFrom.secretKeyRef (or secretEnv), never as a value" $i $e.name (get $refs $e.name)) }}
{{- end }}
{{- end }}
{{- end }}

{{/* The TCP port a URL of config talks to ("" for a ${env:...} reference: its port is not known here) */}}
{{- define "hubprobe.urlPort" -}}
{{- $u := "" }}{{ if . }}{{ $u = toString . }}{{ end }}
{{- if and $u (not (hasPrefix "${" $u)) }}
{{- $p := urlParse $u }}
{{- $port := regexFind ":[0-9]+$" $p.host | trimPrefix ":" }}
{{- if $port }}{{ $port }}{{ else if eq $p.scheme "http" }}80{{ else }}443{{ end }}
{{- end }}
{{- end }}

{{/* Every port the service connects to, from config, as a JSON list of numbers */}}
{{- define "hubprobe.egressPorts" -}}
{{- $c := .Values.config }}
{{- $ports := list }}
{{- range $c.hubs }}
{{- $ports = append $ports (include "hubprobe.urlPort" .url) }}
{{- with .binder }}{{ $ports = append $ports (include "hubprobe.urlPort" .url) }}{{ end }}
{{- range .tls_endpoints }}{{ $ports = append $ports (regexFind "[0-9]+$" (toString .address)) }}{{ end }}
{{- end }}
{{- with ($c.server | default dict).hub_oauth }}{{ $ports = append $ports (include "hubprobe.urlPort" .hub_url) }}{{ end }}
{{- /* every host of the JDBC URL: PgJDBC takes several for failover (jdbc:postgresql://a:5432,b:5433/db) */}}
{{- with ($c.history | default dict).url }}
{{- range (regexFind "^jdbc:postgresql://[^/?]*" (toString .) | trimPrefix "jdbc:postgresql://" | splitList ",") }}
{{- $ports = append $ports (regexFind ":[0-9]+$" . | trimPrefix ":" | default "5432") }}
{{- end }}
{{- end }}
{{- range ($c.alerting | default dict).notifiers }}
{{- with .alertmanager }}{{ range .urls }}{{ $ports = append $ports (include "hubprobe.urlPort" .) }}{{ end }}{{ end }}
{{- with .webhook }}{{ $ports = append $ports (include "hubprobe.urlPort" .url | default "443") }}{{ end }}
{{- with .slack }}{{ $ports = append $ports (include "hubprobe.urlPort" .webhook_url | default "443") }}{{ end }}
{{- /* PagerDuty's events API on 443, or the url given instead (a proxy, a test receiver) */}}
{{- with .pagerduty }}{{ $ports = append $ports (include "hubprobe.urlPort" .url | default "443") }}{{ end }}
{{- end }}
{{- $out := list }}
{{- range (compact $ports | uniq | sortAlpha) }}{{ $out = append $out (atoi .) }}{{ end }}
{{- toJson $out }}
{{- end }}

{{/* The container's environment: the heap, the tokens and secretEnv from Secrets, then env */}}
{{- define "hubprobe.env" -}}
- name: HUBPROBE_HEAP
  value: {{ .Values.heap | quote }}
{{- if include "hubprobe.secretSet" .Values.apiToken }}
- name: HUBPROBE_API_TOKEN
  valueFrom:
    secretKeyRef:
      {{- include "hubprobe.secretKeyRef" (list .Values.apiToken . "api-token") | nindent 6 }}
{{- end }}
{{- if include "hubprobe.secretSet" .Values.readToken }}
- name: HUBPROBE_READ_TOKEN
  valueFrom:
    secretKeyRef:
      {{- include "hubprobe.secretKeyRef" (list .Values.readToken . "read-token") | nindent 6 }}
{{- end }}
{{- range $name, $src := .Values.secretEnv }}
- name: {{ $name }}
  valueFrom:
    secretKeyRef:
      {{- include "hubprobe.secretKeyRef" (list $src $ $name) | nindent 6 }}
{{- end }}
{{- with .Values.env }}
{{ toYaml . }}
{{- end }}
{{- end }}

{{- define "hubprobe.volumeMounts" -}}
- name: config
  mountPath: /etc/hubprobe/config
  readOnly: true
{{- if or .Values.probes.existingConfigMap .Values.probes.files }}
- name: probes
  mountPath: /etc/hubprobe/probes
  readOnly: true
{{- end }}
- name: data
  mountPath: /var/lib/hubprobe
- name: tmp
  mountPath: /tmp
{{- end }}
