package org.vestibule.accountdata;

import java.util.Map;

/**
 * Account data of a type a feature keeps in a shape of its own (push rules keep the user's
 * changes to the defaults) and shows rendered: in /sync and to GET account_data alike. Clients
 * cannot set it through the account data API.
 */
public interface ManagedAccountData {

    String type();

    /** What clients see, from what is stored ({@code stored} empty when nothing ever was). */
    Map<String, Object> render(String userId, Map<String, Object> stored);
}
