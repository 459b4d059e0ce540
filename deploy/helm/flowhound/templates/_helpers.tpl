{{/* The chart's name, or nameOverride. */}}
{{- define "flowhound.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* The full name: fullnameOverride, else <release>-<name> (the release name alone when it contains the name). */}}
{{- define "flowhound.fullname" -}}
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

{{- define "flowhound.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* Labels on every object. */}}
{{- define "flowhound.labels" -}}
helm.sh/chart: {{ include "flowhound.chart" . }}
{{ include "flowhound.selectorLabels" . }}
app.kubernetes.io/version: {{ .Values.image.tag | default .Chart.AppVersion | trunc 63 | trimSuffix "-" | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: flowhound
{{- end }}

{{/* The labels that select the pods. */}}
{{- define "flowhound.selectorLabels" -}}
app.kubernetes.io/name: {{ include "flowhound.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{- define "flowhound.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "flowhound.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{- define "flowhound.image" -}}
{{- if .Values.image.digest }}
{{- printf "%s@%s" .Values.image.repository .Values.image.digest }}
{{- else }}
{{- printf "%s:%s" .Values.image.repository (.Values.image.tag | default .Chart.AppVersion) }}
{{- end }}
{{- end }}

{{/* Where the Kafka TLS Secret is mounted. */}}
{{- define "flowhound.kafkaTlsDir" -}}/etc/flowhound/kafka-tls{{- end }}

{{/* The pipeline of the values, or files/default-pipeline.yaml when it is empty (as YAML). */}}
{{- define "flowhound.basePipeline" -}}
{{- if .Values.pipeline }}
{{- toYaml .Values.pipeline }}
{{- else }}
{{- .Files.Get "files/default-pipeline.yaml" }}
{{- end }}
{{- end }}

{{/*
The pipeline file: the base pipeline with the chart's kafka section, metrics endpoint and
Alertmanager sink added (see values.yaml). Secrets never appear here: SASL credentials are
${FLOWHOUND_KAFKA_SASL_*} placeholders that flowhound reads from the environment, TLS material
is file paths into the mounted Secret.
*/}}
{{- define "flowhound.pipeline" -}}
{{- $pipeline := include "flowhound.basePipeline" . | fromYaml }}
{{- $kafka := dict "brokers" .Values.kafka.brokers "client_id" .Values.kafka.clientId "connection_timeout_ms" .Values.kafka.connectionTimeoutMs }}
{{- with .Values.kafka.tls }}
{{- if .enabled }}
{{- if .existingSecret }}
{{- $ssl := dict "reject_unauthorized" .rejectUnauthorized }}
{{- if .caKey }}{{ $_ := set $ssl "ca_file" (printf "%s/%s" (include "flowhound.kafkaTlsDir" $) .caKey) }}{{ end }}
{{- if .certKey }}{{ $_ := set $ssl "cert_file" (printf "%s/%s" (include "flowhound.kafkaTlsDir" $) .certKey) }}{{ end }}
{{- if .keyKey }}{{ $_ := set $ssl "key_file" (printf "%s/%s" (include "flowhound.kafkaTlsDir" $) .keyKey) }}{{ end }}
{{- $_ := set $kafka "ssl" $ssl }}
{{- else if not .rejectUnauthorized }}
{{- $_ := set $kafka "ssl" (dict "reject_unauthorized" false) }}
{{- else }}
{{- $_ := set $kafka "ssl" true }}
{{- end }}
{{- end }}
{{- end }}
{{- if .Values.kafka.sasl.enabled }}
{{- $_ := set $kafka "sasl" (dict "mechanism" .Values.kafka.sasl.mechanism "username" "${FLOWHOUND_KAFKA_SASL_USERNAME}" "password_env" "FLOWHOUND_KAFKA_SASL_PASSWORD") }}
{{- end }}
{{- $_ := set $pipeline "kafka" $kafka }}
{{- $metrics := mergeOverwrite (deepCopy (default (dict) $pipeline.metrics)) (dict "enabled" true "host" "0.0.0.0" "port" .Values.metrics.port) }}
{{- $_ := set $pipeline "metrics" $metrics }}
{{- if .Values.alertmanager.urls }}
{{- $sinks := deepCopy (default (dict) $pipeline.sinks) }}
{{- $sink := mergeOverwrite (deepCopy .Values.alertmanager.options) (dict "type" "alertmanager" "urls" .Values.alertmanager.urls) }}
{{- $_ := set $sinks "alertmanager" $sink }}
{{- $_ := set $pipeline "sinks" $sinks }}
{{- end }}
{{- toYaml $pipeline }}
{{- end }}

{{/* The TCP ports of host:port entries, unique. */}}
{{- define "flowhound.hostPorts" -}}
{{- $ports := list }}
{{- range . }}
{{- $ports = append $ports (int (last (splitList ":" .))) }}
{{- end }}
{{- toJson ($ports | uniq) }}
{{- end }}

{{/* The ports of URLs (80 for http, 443 for https when none is given), unique. */}}
{{- define "flowhound.urlPorts" -}}
{{- $ports := list }}
{{- range . }}
{{- $url := urlParse . }}
{{- $hostport := splitList ":" $url.host }}
{{- if gt (len $hostport) 1 }}
{{- $ports = append $ports (int (last $hostport)) }}
{{- else if eq $url.scheme "https" }}
{{- $ports = append $ports 443 }}
{{- else }}
{{- $ports = append $ports 80 }}
{{- end }}
{{- end }}
{{- toJson ($ports | uniq) }}
{{- end }}
