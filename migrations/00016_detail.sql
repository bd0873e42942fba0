-- +goose Up
-- The per-entity ...Detail reports (report/detailspecs.go): a row per user,
-- mailbox, group, site or team, keyed by (tenant_id, report_date,
-- report_period, entity_key, concealed) and the report's dimensions (see
-- report.Detail). One table per report, written as
-- go test ./load -run PrintDDL -ddl '^get.*Detail$' -v prints them and
-- checked against the spec by TestEveryReportHasItsTable. run_id has no
-- foreign key, as migration 00015 explains.

-- Email activity per user: emails sent, received and read, meetings created and interacted with
CREATE TABLE email_activity_user_detail (
    tenant_id                text        NOT NULL,
    report_refresh_date      date        NOT NULL,
    report_date              date        NOT NULL,
    report_period            integer     NOT NULL,
    entity_key               text        NOT NULL,
    concealed                boolean     NOT NULL,
    user_principal_name      text,
    display_name             text,
    is_deleted               boolean,
    deleted_date             date,
    last_activity_date       date,
    send_count               bigint,
    receive_count            bigint,
    read_count               bigint,
    meeting_created_count    bigint,
    meeting_interacted_count bigint,
    assigned_products        text[],
    loaded_at                timestamptz NOT NULL DEFAULT now(),
    changed_at               timestamptz NOT NULL DEFAULT now(),
    run_id                   bigint,
    PRIMARY KEY (tenant_id, report_date, report_period, entity_key, concealed)
);

-- Email app usage per user: the versions of each mail app used
CREATE TABLE email_app_usage_user_detail (
    tenant_id           text        NOT NULL,
    report_refresh_date date        NOT NULL,
    report_date         date        NOT NULL,
    report_period       integer     NOT NULL,
    entity_key          text        NOT NULL,
    concealed           boolean     NOT NULL,
    user_principal_name text,
    display_name        text,
    is_deleted          boolean,
    deleted_date        date,
    last_activity_date  date,
    mail_for_mac        text[],
    outlook_for_mac     text[],
    outlook_for_windows text[],
    outlook_for_mobile  text[],
    other_for_mobile    text[],
    outlook_for_web     text[],
    pop3_app            text[],
    imap4_app           text[],
    smtp_app            text[],
    loaded_at           timestamptz NOT NULL DEFAULT now(),
    changed_at          timestamptz NOT NULL DEFAULT now(),
    run_id              bigint,
    PRIMARY KEY (tenant_id, report_date, report_period, entity_key, concealed)
);

-- Mailbox usage per mailbox: items, storage used, quotas, deleted items and archive
CREATE TABLE mailbox_usage_detail (
    tenant_id                        text        NOT NULL,
    report_refresh_date              date        NOT NULL,
    report_date                      date        NOT NULL,
    report_period                    integer     NOT NULL,
    entity_key                       text        NOT NULL,
    concealed                        boolean     NOT NULL,
    user_principal_name              text,
    display_name                     text,
    is_deleted                       boolean,
    deleted_date                     date,
    created_date                     date,
    last_activity_date               date,
    item_count                       bigint,
    storage_used_byte                bigint,
    issue_warning_quota_byte         bigint,
    prohibit_send_quota_byte         bigint,
    prohibit_send_receive_quota_byte bigint,
    deleted_item_count               bigint,
    deleted_item_size_byte           bigint,
    deleted_item_quota_byte          bigint,
    has_archive                      boolean,
    loaded_at                        timestamptz NOT NULL DEFAULT now(),
    changed_at                       timestamptz NOT NULL DEFAULT now(),
    run_id                           bigint,
    PRIMARY KEY (tenant_id, report_date, report_period, entity_key, concealed)
);

-- Microsoft 365 activations per user and product type: activated devices per platform, as of the refresh date
CREATE TABLE office365_activations_user_detail (
    tenant_id                    text        NOT NULL,
    report_refresh_date          date        NOT NULL,
    report_date                  date        NOT NULL,
    report_period                integer     NOT NULL,
    entity_key                   text        NOT NULL,
    concealed                    boolean     NOT NULL,
    product_type                 text        NOT NULL,
    user_principal_name          text,
    display_name                 text,
    last_activated_date          date,
    windows                      bigint,
    mac                          bigint,
    windows_10_mobile            bigint,
    ios                          bigint,
    android                      bigint,
    activated_on_shared_computer boolean,
    loaded_at                    timestamptz NOT NULL DEFAULT now(),
    changed_at                   timestamptz NOT NULL DEFAULT now(),
    run_id                       bigint,
    PRIMARY KEY (tenant_id, report_date, report_period, entity_key, concealed, product_type)
);

-- Microsoft 365 active users per user: licences, and last activity and licence dates per service
CREATE TABLE office365_active_user_detail (
    tenant_id                              text        NOT NULL,
    report_refresh_date                    date        NOT NULL,
    report_date                            date        NOT NULL,
    report_period                          integer     NOT NULL,
    entity_key                             text        NOT NULL,
    concealed                              boolean     NOT NULL,
    user_principal_name                    text,
    display_name                           text,
    is_deleted                             boolean,
    deleted_date                           date,
    has_exchange_license                   boolean,
    has_onedrive_license                   boolean,
    has_sharepoint_license                 boolean,
    has_skype_for_business_license         boolean,
    has_yammer_license                     boolean,
    has_teams_license                      boolean,
    exchange_last_activity_date            date,
    onedrive_last_activity_date            date,
    sharepoint_last_activity_date          date,
    skype_for_business_last_activity_date  date,
    yammer_last_activity_date              date,
    teams_last_activity_date               date,
    exchange_license_assign_date           date,
    onedrive_license_assign_date           date,
    sharepoint_license_assign_date         date,
    skype_for_business_license_assign_date date,
    yammer_license_assign_date             date,
    teams_license_assign_date              date,
    assigned_products                      text[],
    loaded_at                              timestamptz NOT NULL DEFAULT now(),
    changed_at                             timestamptz NOT NULL DEFAULT now(),
    run_id                                 bigint,
    PRIMARY KEY (tenant_id, report_date, report_period, entity_key, concealed)
);

-- Microsoft 365 groups activity per group: members, guests, email, files, Yammer messages and storage
CREATE TABLE office365_groups_activity_detail (
    tenant_id                          text        NOT NULL,
    report_refresh_date                date        NOT NULL,
    report_date                        date        NOT NULL,
    report_period                      integer     NOT NULL,
    entity_key                         text        NOT NULL,
    concealed                          boolean     NOT NULL,
    group_display_name                 text,
    is_deleted                         boolean,
    owner_principal_name               text,
    last_activity_date                 date,
    group_type                         text,
    member_count                       bigint,
    external_member_count              bigint,
    exchange_received_email_count      bigint,
    sharepoint_active_file_count       bigint,
    yammer_posted_message_count        bigint,
    yammer_read_message_count          bigint,
    yammer_liked_message_count         bigint,
    exchange_mailbox_total_item_count  bigint,
    exchange_mailbox_storage_used_byte bigint,
    sharepoint_total_file_count        bigint,
    sharepoint_site_storage_used_byte  bigint,
    group_id                           text,
    loaded_at                          timestamptz NOT NULL DEFAULT now(),
    changed_at                         timestamptz NOT NULL DEFAULT now(),
    run_id                             bigint,
    PRIMARY KEY (tenant_id, report_date, report_period, entity_key, concealed)
);

-- OneDrive activity per user: files viewed or edited, synced, and shared internally and externally
CREATE TABLE onedrive_activity_user_detail (
    tenant_id                    text        NOT NULL,
    report_refresh_date          date        NOT NULL,
    report_date                  date        NOT NULL,
    report_period                integer     NOT NULL,
    entity_key                   text        NOT NULL,
    concealed                    boolean     NOT NULL,
    user_principal_name          text,
    is_deleted                   boolean,
    deleted_date                 date,
    last_activity_date           date,
    viewed_or_edited_file_count  bigint,
    synced_file_count            bigint,
    shared_internally_file_count bigint,
    shared_externally_file_count bigint,
    assigned_products            text[],
    loaded_at                    timestamptz NOT NULL DEFAULT now(),
    changed_at                   timestamptz NOT NULL DEFAULT now(),
    run_id                       bigint,
    PRIMARY KEY (tenant_id, report_date, report_period, entity_key, concealed)
);

-- OneDrive usage per account: files, active files, storage used and allocated
CREATE TABLE onedrive_usage_account_detail (
    tenant_id              text        NOT NULL,
    report_refresh_date    date        NOT NULL,
    report_date            date        NOT NULL,
    report_period          integer     NOT NULL,
    entity_key             text        NOT NULL,
    concealed              boolean     NOT NULL,
    site_url               text,
    owner_display_name     text,
    is_deleted             boolean,
    last_activity_date     date,
    file_count             bigint,
    active_file_count      bigint,
    storage_used_byte      bigint,
    storage_allocated_byte bigint,
    owner_principal_name   text,
    loaded_at              timestamptz NOT NULL DEFAULT now(),
    changed_at             timestamptz NOT NULL DEFAULT now(),
    run_id                 bigint,
    PRIMARY KEY (tenant_id, report_date, report_period, entity_key, concealed)
);

-- SharePoint activity per user: files viewed or edited, synced, shared internally and externally, pages visited
CREATE TABLE sharepoint_activity_user_detail (
    tenant_id                    text        NOT NULL,
    report_refresh_date          date        NOT NULL,
    report_date                  date        NOT NULL,
    report_period                integer     NOT NULL,
    entity_key                   text        NOT NULL,
    concealed                    boolean     NOT NULL,
    user_principal_name          text,
    is_deleted                   boolean,
    deleted_date                 date,
    last_activity_date           date,
    viewed_or_edited_file_count  bigint,
    synced_file_count            bigint,
    shared_internally_file_count bigint,
    shared_externally_file_count bigint,
    visited_page_count           bigint,
    assigned_products            text[],
    loaded_at                    timestamptz NOT NULL DEFAULT now(),
    changed_at                   timestamptz NOT NULL DEFAULT now(),
    run_id                       bigint,
    PRIMARY KEY (tenant_id, report_date, report_period, entity_key, concealed)
);

-- SharePoint site usage per site: files, active files, page views, visited pages, storage used and allocated
CREATE TABLE sharepoint_site_usage_detail (
    tenant_id              text        NOT NULL,
    report_refresh_date    date        NOT NULL,
    report_date            date        NOT NULL,
    report_period          integer     NOT NULL,
    entity_key             text        NOT NULL,
    concealed              boolean     NOT NULL,
    site_id                text,
    site_url               text,
    owner_display_name     text,
    is_deleted             boolean,
    last_activity_date     date,
    file_count             bigint,
    active_file_count      bigint,
    page_view_count        bigint,
    visited_page_count     bigint,
    storage_used_byte      bigint,
    storage_allocated_byte bigint,
    root_web_template      text,
    owner_principal_name   text,
    loaded_at              timestamptz NOT NULL DEFAULT now(),
    changed_at             timestamptz NOT NULL DEFAULT now(),
    run_id                 bigint,
    PRIMARY KEY (tenant_id, report_date, report_period, entity_key, concealed)
);

-- Teams device usage per user: the kinds of device used
CREATE TABLE teams_device_usage_user_detail (
    tenant_id           text        NOT NULL,
    report_refresh_date date        NOT NULL,
    report_date         date        NOT NULL,
    report_period       integer     NOT NULL,
    entity_key          text        NOT NULL,
    concealed           boolean     NOT NULL,
    user_id             text,
    user_principal_name text,
    last_activity_date  date,
    is_deleted          boolean,
    deleted_date        date,
    used_web            boolean,
    used_windows_phone  boolean,
    used_ios            boolean,
    used_mac            boolean,
    used_android_phone  boolean,
    used_windows        boolean,
    used_chrome_os      boolean,
    used_linux          boolean,
    is_licensed         boolean,
    loaded_at           timestamptz NOT NULL DEFAULT now(),
    changed_at          timestamptz NOT NULL DEFAULT now(),
    run_id              bigint,
    PRIMARY KEY (tenant_id, report_date, report_period, entity_key, concealed)
);

-- Teams user activity per user: messages, calls, meetings and their durations
CREATE TABLE teams_user_activity_user_detail (
    tenant_id                                    text        NOT NULL,
    report_refresh_date                          date        NOT NULL,
    report_date                                  date        NOT NULL,
    report_period                                integer     NOT NULL,
    entity_key                                   text        NOT NULL,
    concealed                                    boolean     NOT NULL,
    user_id                                      text,
    user_principal_name                          text,
    last_activity_date                           date,
    is_deleted                                   boolean,
    deleted_date                                 date,
    assigned_products                            text[],
    team_chat_message_count                      bigint,
    private_chat_message_count                   bigint,
    call_count                                   bigint,
    meeting_count                                bigint,
    meetings_organized_count                     bigint,
    meetings_attended_count                      bigint,
    ad_hoc_meetings_organized_count              bigint,
    ad_hoc_meetings_attended_count               bigint,
    scheduled_one_time_meetings_organized_count  bigint,
    scheduled_one_time_meetings_attended_count   bigint,
    scheduled_recurring_meetings_organized_count bigint,
    scheduled_recurring_meetings_attended_count  bigint,
    audio_duration                               interval,
    video_duration                               interval,
    screen_share_duration                        interval,
    audio_duration_in_seconds                    bigint,
    video_duration_in_seconds                    bigint,
    screen_share_duration_in_seconds             bigint,
    has_other_action                             boolean,
    urgent_messages                              bigint,
    post_messages                                bigint,
    tenant_display_name                          text,
    shared_channel_tenant_display_names          text,
    reply_messages                               bigint,
    is_licensed                                  boolean,
    loaded_at                                    timestamptz NOT NULL DEFAULT now(),
    changed_at                                   timestamptz NOT NULL DEFAULT now(),
    run_id                                       bigint,
    PRIMARY KEY (tenant_id, report_date, report_period, entity_key, concealed)
);

-- Teams team activity per team: active users, channels and guests, reactions, meetings, messages and mentions
CREATE TABLE teams_team_activity_detail (
    tenant_id              text        NOT NULL,
    report_refresh_date    date        NOT NULL,
    report_date            date        NOT NULL,
    report_period          integer     NOT NULL,
    entity_key             text        NOT NULL,
    concealed              boolean     NOT NULL,
    team_name              text,
    team_id                text,
    team_type              text,
    last_activity_date     date,
    active_users           bigint,
    active_channels        bigint,
    guests                 bigint,
    reactions              bigint,
    meetings_organized     bigint,
    post_messages          bigint,
    reply_messages         bigint,
    channel_messages       bigint,
    urgent_messages        bigint,
    mentions               bigint,
    active_shared_channels bigint,
    active_external_users  bigint,
    loaded_at              timestamptz NOT NULL DEFAULT now(),
    changed_at             timestamptz NOT NULL DEFAULT now(),
    run_id                 bigint,
    PRIMARY KEY (tenant_id, report_date, report_period, entity_key, concealed)
);

-- Viva Engage (Yammer) activity per user: messages posted, read and liked
CREATE TABLE yammer_activity_user_detail (
    tenant_id           text        NOT NULL,
    report_refresh_date date        NOT NULL,
    report_date         date        NOT NULL,
    report_period       integer     NOT NULL,
    entity_key          text        NOT NULL,
    concealed           boolean     NOT NULL,
    user_principal_name text,
    display_name        text,
    user_state          text,
    state_change_date   date,
    last_activity_date  date,
    posted_count        bigint,
    read_count          bigint,
    liked_count         bigint,
    assigned_products   text[],
    loaded_at           timestamptz NOT NULL DEFAULT now(),
    changed_at          timestamptz NOT NULL DEFAULT now(),
    run_id              bigint,
    PRIMARY KEY (tenant_id, report_date, report_period, entity_key, concealed)
);

-- Viva Engage (Yammer) device usage per user: the kinds of device used
CREATE TABLE yammer_device_usage_user_detail (
    tenant_id           text        NOT NULL,
    report_refresh_date date        NOT NULL,
    report_date         date        NOT NULL,
    report_period       integer     NOT NULL,
    entity_key          text        NOT NULL,
    concealed           boolean     NOT NULL,
    user_principal_name text,
    display_name        text,
    user_state          text,
    state_change_date   date,
    last_activity_date  date,
    used_web            boolean,
    used_windows_phone  boolean,
    used_android_phone  boolean,
    used_iphone         boolean,
    used_ipad           boolean,
    used_others         boolean,
    loaded_at           timestamptz NOT NULL DEFAULT now(),
    changed_at          timestamptz NOT NULL DEFAULT now(),
    run_id              bigint,
    PRIMARY KEY (tenant_id, report_date, report_period, entity_key, concealed)
);

-- Viva Engage (Yammer) groups activity per group: members, and messages posted, read and liked
CREATE TABLE yammer_groups_activity_detail (
    tenant_id            text        NOT NULL,
    report_refresh_date  date        NOT NULL,
    report_date          date        NOT NULL,
    report_period        integer     NOT NULL,
    entity_key           text        NOT NULL,
    concealed            boolean     NOT NULL,
    group_display_name   text,
    is_deleted           boolean,
    owner_principal_name text,
    last_activity_date   date,
    group_type           text,
    office_365_connected boolean,
    member_count         bigint,
    posted_count         bigint,
    read_count           bigint,
    liked_count          bigint,
    loaded_at            timestamptz NOT NULL DEFAULT now(),
    changed_at           timestamptz NOT NULL DEFAULT now(),
    run_id               bigint,
    PRIMARY KEY (tenant_id, report_date, report_period, entity_key, concealed)
);

-- Microsoft 365 apps usage per user: the platforms and apps used
CREATE TABLE m365_app_user_detail (
    tenant_id            text        NOT NULL,
    report_refresh_date  date        NOT NULL,
    report_date          date        NOT NULL,
    report_period        integer     NOT NULL,
    entity_key           text        NOT NULL,
    concealed            boolean     NOT NULL,
    user_principal_name  text,
    last_activation_date date,
    last_activity_date   date,
    windows              boolean,
    mac                  boolean,
    mobile               boolean,
    web                  boolean,
    outlook              boolean,
    word                 boolean,
    excel                boolean,
    powerpoint           boolean,
    onenote              boolean,
    teams                boolean,
    outlook_windows      boolean,
    word_windows         boolean,
    excel_windows        boolean,
    powerpoint_windows   boolean,
    onenote_windows      boolean,
    teams_windows        boolean,
    outlook_mac          boolean,
    word_mac             boolean,
    excel_mac            boolean,
    powerpoint_mac       boolean,
    onenote_mac          boolean,
    teams_mac            boolean,
    outlook_mobile       boolean,
    word_mobile          boolean,
    excel_mobile         boolean,
    powerpoint_mobile    boolean,
    onenote_mobile       boolean,
    teams_mobile         boolean,
    outlook_web          boolean,
    word_web             boolean,
    excel_web            boolean,
    powerpoint_web       boolean,
    onenote_web          boolean,
    teams_web            boolean,
    loaded_at            timestamptz NOT NULL DEFAULT now(),
    changed_at           timestamptz NOT NULL DEFAULT now(),
    run_id               bigint,
    PRIMARY KEY (tenant_id, report_date, report_period, entity_key, concealed)
);

-- Microsoft 365 Copilot usage per user: last activity in Copilot, per app
CREATE TABLE copilot_usage_user_detail (
    tenant_id                                  text        NOT NULL,
    report_refresh_date                        date        NOT NULL,
    report_date                                date        NOT NULL,
    report_period                              integer     NOT NULL,
    entity_key                                 text        NOT NULL,
    concealed                                  boolean     NOT NULL,
    user_principal_name                        text,
    display_name                               text,
    last_activity_date                         date,
    microsoft_teams_copilot_last_activity_date date,
    word_copilot_last_activity_date            date,
    excel_copilot_last_activity_date           date,
    powerpoint_copilot_last_activity_date      date,
    outlook_copilot_last_activity_date         date,
    onenote_copilot_last_activity_date         date,
    loop_copilot_last_activity_date            date,
    copilot_chat_last_activity_date            date,
    loaded_at                                  timestamptz NOT NULL DEFAULT now(),
    changed_at                                 timestamptz NOT NULL DEFAULT now(),
    run_id                                     bigint,
    PRIMARY KEY (tenant_id, report_date, report_period, entity_key, concealed)
);

-- Skype for Business activity per user: peer-to-peer sessions and conferences organized and participated in, by kind
CREATE TABLE skype_activity_user_detail (
    tenant_id                                           text        NOT NULL,
    report_refresh_date                                 date        NOT NULL,
    report_date                                         date        NOT NULL,
    report_period                                       integer     NOT NULL,
    entity_key                                          text        NOT NULL,
    concealed                                           boolean     NOT NULL,
    user_principal_name                                 text,
    is_deleted                                          boolean,
    deleted_date                                        date,
    last_activity_date                                  date,
    total_peer_to_peer_session_count                    bigint,
    total_organized_conference_count                    bigint,
    total_participated_conference_count                 bigint,
    peer_to_peer_last_activity_date                     date,
    organized_conference_last_activity_date             date,
    participated_conference_last_activity_date          date,
    peer_to_peer_im_count                               bigint,
    peer_to_peer_audio_count                            bigint,
    peer_to_peer_audio_minutes                          bigint,
    peer_to_peer_video_count                            bigint,
    peer_to_peer_video_minutes                          bigint,
    peer_to_peer_app_sharing_count                      bigint,
    peer_to_peer_file_transfer_count                    bigint,
    organized_conference_im_count                       bigint,
    organized_conference_audio_video_count              bigint,
    organized_conference_audio_video_minutes            bigint,
    organized_conference_app_sharing_count              bigint,
    organized_conference_web_count                      bigint,
    organized_conference_dial_in_out_3rd_party_count    bigint,
    organized_conference_dial_in_out_microsoft_count    bigint,
    organized_conference_dial_in_microsoft_minutes      bigint,
    organized_conference_dial_out_microsoft_minutes     bigint,
    participated_conference_im_count                    bigint,
    participated_conference_audio_video_count           bigint,
    participated_conference_audio_video_minutes         bigint,
    participated_conference_app_sharing_count           bigint,
    participated_conference_web_count                   bigint,
    participated_conference_dial_in_out_3rd_party_count bigint,
    assigned_products                                   text[],
    loaded_at                                           timestamptz NOT NULL DEFAULT now(),
    changed_at                                          timestamptz NOT NULL DEFAULT now(),
    run_id                                              bigint,
    PRIMARY KEY (tenant_id, report_date, report_period, entity_key, concealed)
);

-- Skype for Business device usage per user: the kinds of device used
CREATE TABLE skype_device_usage_user_detail (
    tenant_id           text        NOT NULL,
    report_refresh_date date        NOT NULL,
    report_date         date        NOT NULL,
    report_period       integer     NOT NULL,
    entity_key          text        NOT NULL,
    concealed           boolean     NOT NULL,
    user_principal_name text,
    last_activity_date  date,
    used_windows        boolean,
    used_windows_phone  boolean,
    used_android_phone  boolean,
    used_iphone         boolean,
    used_ipad           boolean,
    loaded_at           timestamptz NOT NULL DEFAULT now(),
    changed_at          timestamptz NOT NULL DEFAULT now(),
    run_id              bigint,
    PRIMARY KEY (tenant_id, report_date, report_period, entity_key, concealed)
);

-- +goose Down
DROP TABLE email_activity_user_detail;
DROP TABLE email_app_usage_user_detail;
DROP TABLE mailbox_usage_detail;
DROP TABLE office365_activations_user_detail;
DROP TABLE office365_active_user_detail;
DROP TABLE office365_groups_activity_detail;
DROP TABLE onedrive_activity_user_detail;
DROP TABLE onedrive_usage_account_detail;
DROP TABLE sharepoint_activity_user_detail;
DROP TABLE sharepoint_site_usage_detail;
DROP TABLE teams_device_usage_user_detail;
DROP TABLE teams_user_activity_user_detail;
DROP TABLE teams_team_activity_detail;
DROP TABLE yammer_activity_user_detail;
DROP TABLE yammer_device_usage_user_detail;
DROP TABLE yammer_groups_activity_detail;
DROP TABLE m365_app_user_detail;
DROP TABLE copilot_usage_user_detail;
DROP TABLE skype_activity_user_detail;
DROP TABLE skype_device_usage_user_detail;
