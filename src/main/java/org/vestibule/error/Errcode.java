package org.vestibule.error;

/** The errcodes we send (spec client-server §Standard error response, server-server joins). */
public final class Errcode {

    public static final String FORBIDDEN = "M_FORBIDDEN";
    public static final String UNKNOWN_TOKEN = "M_UNKNOWN_TOKEN";
    public static final String MISSING_TOKEN = "M_MISSING_TOKEN";
    public static final String UNAUTHORIZED = "M_UNAUTHORIZED";
    public static final String BAD_JSON = "M_BAD_JSON";
    public static final String NOT_JSON = "M_NOT_JSON";
    public static final String NOT_FOUND = "M_NOT_FOUND";
    public static final String LIMIT_EXCEEDED = "M_LIMIT_EXCEEDED";
    public static final String UNRECOGNIZED = "M_UNRECOGNIZED";
    public static final String UNKNOWN = "M_UNKNOWN";
    public static final String USER_IN_USE = "M_USER_IN_USE";
    public static final String INVALID_USERNAME = "M_INVALID_USERNAME";
    public static final String INVALID_PARAM = "M_INVALID_PARAM";
    public static final String MISSING_PARAM = "M_MISSING_PARAM";
    public static final String TOO_LARGE = "M_TOO_LARGE";
    public static final String UNSUPPORTED_ROOM_VERSION = "M_UNSUPPORTED_ROOM_VERSION";
    public static final String INCOMPATIBLE_ROOM_VERSION = "M_INCOMPATIBLE_ROOM_VERSION";
    public static final String UNABLE_TO_AUTHORISE_JOIN = "M_UNABLE_TO_AUTHORISE_JOIN";
    public static final String UNABLE_TO_GRANT_JOIN = "M_UNABLE_TO_GRANT_JOIN";
    /** The MSC3083 draft's name for "cannot verify the allowed rooms" (never in a released spec). */
    public static final String CANNOT_ALLOW = "M_CANNOT_ALLOW";
    public static final String ROOM_IN_USE = "M_ROOM_IN_USE";
    public static final String BAD_STATE = "M_BAD_STATE";
    public static final String USER_DEACTIVATED = "M_USER_DEACTIVATED";
    public static final String EXCLUSIVE = "M_EXCLUSIVE";
    /** PUT of media that already has content (spec content-repo.yaml, v1.7). */
    public static final String CANNOT_OVERWRITE_MEDIA = "M_CANNOT_OVERWRITE_MEDIA";
    /** Media created with /create whose content has not come yet (504). */
    public static final String NOT_YET_UPLOADED = "M_NOT_YET_UPLOADED";

    private Errcode() {}
}
