-- ingest:grant detail
{{- /* The marker above makes every view of this file a detail view:
   granted only by `ingest grant-reader --detail` (load/views.go). */}}
-- The per-entity ...Detail reports (report/detailspecs.go), two views each,
-- rendered over the report-spec table so that a new detail report needs no
-- edit here:
--   <table>_history  every row loaded: one per tenant, day (report_date),
--                    period, entity and concealment;
--   <table>_current  the newest row of each entity (per tenant, entity_key,
--                    concealed and the report's other dimensions): for a
--                    report fetched a day at a time (date=) the newest day
--                    (report_period 1 only, so that its counts are of one
--                    day, never mixed with a period's totals); for the
--                    others the newest refresh date, the shortest period of
--                    that date first.
-- Concealed and unconcealed rows are different entities (a name hashed is
-- not matched to the name): both views keep them apart. The bookkeeping
-- columns (loaded_at, changed_at, run_id) are left out, as in every view.
{{- define "detail columns"}}
    tenant_id,
    report_date,
    report_period,
    report_refresh_date
{{- range .Dims}},
    {{.Name}}
{{- end}}
{{- range .Metrics}},
    {{.Name}}
{{- end}}
{{- end}}
{{- define "detail comments"}}
{{- $s := index . 0}}{{$v := index . 1}}
COMMENT ON COLUMN {{$v}}.tenant_id IS {{lit (common "tenant_id")}};
COMMENT ON COLUMN {{$v}}.report_date IS {{lit (common "detail_report_date")}};
COMMENT ON COLUMN {{$v}}.report_period IS {{lit (common "detail_report_period")}};
COMMENT ON COLUMN {{$v}}.report_refresh_date IS {{lit (common "detail_refresh_date")}};
{{- range $s.Dims}}
{{- if or (eq .Name "entity_key") (eq .Name "concealed")}}
COMMENT ON COLUMN {{$v}}.{{.Name}} IS {{lit (common .Name)}};
{{- else}}
COMMENT ON COLUMN {{$v}}.{{.Name}} IS {{lit (printf "%s Part of the entity: the row is for the entity and this value." (metric $s .))}};
{{- end}}
{{- end}}
{{- range $s.Metrics}}
COMMENT ON COLUMN {{$v}}.{{.Name}} IS {{lit (metric $s .)}};
{{- end}}
{{- end}}
{{- range .Details}}

CREATE OR REPLACE VIEW {{.Table}}_history AS
SELECT{{template "detail columns" .}}
FROM {{.Table}};

COMMENT ON VIEW {{.Table}}_history IS {{lit (printf "%s (%s, table %s), every row loaded: one per tenant, day (report_date), period, entity (entity_key) and concealment (concealed). Per-entity data: readable only by roles granted with `ingest grant-reader --detail`. The newest row of each entity: %s_current." .Title .Function .Table .Table)}};
{{- template "detail comments" (args . (printf "%s_history" .Table))}}

CREATE OR REPLACE VIEW {{.Table}}_current AS
SELECT DISTINCT ON (tenant_id{{range .Dims}}, {{.Name}}{{end}}){{template "detail columns" .}}
FROM {{.Table}}
{{- if .Detail.ByDate}}
WHERE report_period = 1
{{- end}}
ORDER BY tenant_id{{range .Dims}}, {{.Name}}{{end}}, report_date DESC, report_period;

COMMENT ON VIEW {{.Table}}_current IS {{lit (printf "%s (%s, table %s), the newest row of each entity: one per tenant, entity (entity_key%s) and concealment (concealed), %s. An entity missing from the newer days keeps its last row (see report_date). A concealed entity and the same one unconcealed are two rows. Per-entity data: readable only by roles granted with `ingest grant-reader --detail`." .Title .Function .Table (dimsText .) (currentRule .))}};
{{- template "detail comments" (args . (printf "%s_current" .Table))}}
{{- end}}
