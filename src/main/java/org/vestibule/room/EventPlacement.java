package org.vestibule.room;

/**
 * Where a stored event sits in its room's graph, read without loading the event itself (its JSON
 * and a managed entity are not needed to place a new event after it).
 *
 * @param stateAfter the state group after it; null for outliers
 */
record EventPlacement(String eventId, boolean outlier, Long stateAfter) {}
