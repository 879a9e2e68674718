/** The lease whose holder alone connects to the broker when several instances share one database. */
export const MQTT_LEASE = 'mqtt';
/** The same topic and payload again within this time (a message without its own time) is a redelivery, stored once. */
export const REDELIVERY_WINDOW_MS = 10_000;
/** Reconnect delays: doubling from the first up to the last. */
export const RECONNECT_MIN_MS = 1_000;
export const RECONNECT_MAX_MS = 30_000;
/** Of a rejected payload, this much is kept to show. */
export const REJECTED_PAYLOAD_CHARS = 2_000;
/** Time zone of payload times when a device's client has none and no plant zone is known. */
export const APP_CONFIG_TIMEZONE_FALLBACK = 'UTC';
