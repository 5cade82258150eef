// Two users through a whole session with matrix-js-sdk, the SDK under Element Web, against the
// Vestibule at VESTIBULE_URL (its client API). Each step checks what the other user's client sees.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import * as sdk from "matrix-js-sdk";
import { logger } from "matrix-js-sdk/lib/logger.js";

const baseUrl = process.env.VESTIBULE_URL;
if (!baseUrl) {
  throw new Error("VESTIBULE_URL is not set: the client API of the Vestibule to test, e.g. http://127.0.0.1:8008");
}
logger.setLevel(process.env.SDK_LOG_LEVEL ?? "warn");

const WAIT_MS = 20_000;
/** Every answer that was not 2xx, by request: the report lists what a client still gets 404 for. */
const refused = [];

function recordingFetch(who) {
  return async (input, init) => {
    const response = await fetch(input, init);
    if (!response.ok && response.status !== 401) {
      const url = input instanceof URL ? input : new URL(typeof input === "string" ? input : input.url);
      refused.push(`${who} ${init?.method ?? "GET"} ${url.pathname} -> ${response.status}`);
    }
    return response;
  };
}

const suffix = `${Date.now() % 1_000_000_000}`;

async function registered(name) {
  const anonymous = sdk.createClient({ baseUrl, fetchFn: recordingFetch(name) });
  const account = await anonymous.registerRequest({
    username: `${name}${suffix}`,
    password: `pw-${name}-${suffix}`,
    auth: { type: "m.login.dummy" },
  });
  return sdk.createClient({
    baseUrl,
    userId: account.user_id,
    accessToken: account.access_token,
    deviceId: account.device_id,
    fetchFn: recordingFetch(name),
  });
}

/** Resolves when check() holds, re-checking on every emitted event of the given names; rejects after WAIT_MS. */
function until(what, emitter, events, check) {
  return new Promise((resolve, reject) => {
    const probe = () => {
      let value;
      try {
        value = check();
      } catch {
        value = undefined;
      }
      if (value) {
        cleanup();
        resolve(value);
      }
    };
    const timer = setTimeout(() => {
      cleanup();
      reject(new Error(`timed out after ${WAIT_MS} ms waiting for ${what}`));
    }, WAIT_MS);
    const cleanup = () => {
      clearTimeout(timer);
      for (const e of events) emitter.off(e, probe);
    };
    for (const e of events) emitter.on(e, probe);
    probe();
  });
}

function prepared(client) {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${client.getUserId()}'s first sync did not reach PREPARED`)), WAIT_MS);
    client.on(sdk.ClientEvent.Sync, (state, previous, data) => {
      if (state === "PREPARED") {
        clearTimeout(timer);
        resolve();
      } else if (state === "ERROR") {
        clearTimeout(timer);
        reject(new Error(`sync ERROR: ${data?.error?.message ?? data?.error}`));
      }
    });
  });
}

const ANY_ROOM_EVENT = [sdk.RoomEvent.Timeline, sdk.RoomEvent.MyMembership, sdk.RoomMemberEvent.Membership,
  sdk.ClientEvent.Room, sdk.RoomEvent.Receipt, sdk.RoomMemberEvent.Typing, sdk.RoomEvent.Tags,
  sdk.ClientEvent.AccountData, sdk.MatrixEventEvent.BeforeRedaction, sdk.RoomEvent.Redaction, sdk.UserEvent.Presence];

describe("matrix-js-sdk session", () => {
  let alice;
  let bob;
  let roomId;

  before(async () => {
    alice = await registered("alice");
    bob = await registered("bob");
  });

  after(() => {
    alice?.stopClient();
    bob?.stopClient();
    console.log(`\nRequests answered other than 2xx or 401 (${refused.length}):`);
    for (const line of [...new Set(refused)]) console.log(`  ${line}`);
  });

  test("first sync reaches PREPARED", async () => {
    const both = Promise.all([prepared(alice), prepared(bob)]);
    await alice.startClient({ initialSyncLimit: 10 });
    await bob.startClient({ initialSyncLimit: 10 });
    await both;
    assert.ok(alice.pushRules, "push rules are loaded");
  });

  test("invite seen", async () => {
    ({ room_id: roomId } = await alice.createRoom({ name: "Vestibule session", preset: "private_chat" }));
    await alice.invite(roomId, bob.getUserId());
    await until("bob's invite", bob, ANY_ROOM_EVENT, () => bob.getRoom(roomId)?.getMyMembership() === "invite");
    assert.equal(bob.getRoom(roomId).getMember(bob.getUserId()).events.member.getSender(), alice.getUserId());
  });

  test("join", async () => {
    await bob.joinRoom(roomId);
    await until("bob joined, on alice's side", alice, ANY_ROOM_EVENT,
      () => alice.getRoom(roomId)?.getMember(bob.getUserId())?.membership === "join");
    assert.equal(bob.getRoom(roomId).name, "Vestibule session");
  });

  test("messages both ways", async () => {
    const sent = await alice.sendTextMessage(roomId, "hello bob");
    await until("alice's message on bob's side", bob, ANY_ROOM_EVENT,
      () => bob.getRoom(roomId)?.findEventById(sent.event_id)?.getContent().body === "hello bob");
    const reply = await bob.sendTextMessage(roomId, "hello alice");
    await until("bob's reply on alice's side", alice, ANY_ROOM_EVENT,
      () => alice.getRoom(roomId)?.findEventById(reply.event_id)?.getContent().body === "hello alice");
  });

  test("typing seen", async () => {
    await alice.sendTyping(roomId, true, 30_000);
    await until("alice typing, on bob's side", bob, ANY_ROOM_EVENT,
      () => bob.getRoom(roomId)?.getMember(alice.getUserId())?.typing === true);
    await alice.sendTyping(roomId, false);
    await until("alice stopped typing, on bob's side", bob, ANY_ROOM_EVENT,
      () => bob.getRoom(roomId)?.getMember(alice.getUserId())?.typing === false);
  });

  test("receipt seen", async () => {
    // A message of alice's after bob's own last one: only bob's receipt can mark it read.
    const sent = await alice.sendTextMessage(roomId, "did you read this?");
    await until("the message on bob's side", bob, ANY_ROOM_EVENT, () => bob.getRoom(roomId)?.findEventById(sent.event_id));
    assert.notEqual(alice.getRoom(roomId).getEventReadUpTo(bob.getUserId()), sent.event_id);
    await bob.sendReadReceipt(bob.getRoom(roomId).findEventById(sent.event_id));
    await until("bob's read receipt, on alice's side", alice, ANY_ROOM_EVENT,
      () => alice.getRoom(roomId)?.getEventReadUpTo(bob.getUserId()) === sent.event_id);
    assert.ok(alice.getRoom(roomId).hasUserReadEvent(bob.getUserId(), sent.event_id));
  });

  test("redaction seen", async () => {
    const sent = await alice.sendTextMessage(roomId, "a secret to take back");
    await until("the message on bob's side", bob, ANY_ROOM_EVENT, () => bob.getRoom(roomId)?.findEventById(sent.event_id));
    await alice.redactEvent(roomId, sent.event_id, undefined, { reason: "oops" });
    await until("the redaction on bob's side", bob, ANY_ROOM_EVENT,
      () => bob.getRoom(roomId)?.findEventById(sent.event_id)?.isRedacted());
    assert.deepEqual(bob.getRoom(roomId).findEventById(sent.event_id).getContent(), {});
  });

  test("push rules", async () => {
    assert.ok(alice.pushRules.global.override.some((r) => r.rule_id === ".m.rule.master"));
    await alice.addPushRule("global", sdk.PushRuleKind.ContentSpecific, "cake", {
      pattern: "cake*lie",
      actions: [sdk.PushRuleActionName.Notify],
    });
    await alice.setPushRuleEnabled("global", sdk.PushRuleKind.Override, ".m.rule.suppress_notices", false);
    const rules = await alice.getPushRules();
    assert.ok(rules.global.content.some((r) => r.rule_id === "cake" && r.pattern === "cake*lie"));
    assert.equal(rules.global.override.find((r) => r.rule_id === ".m.rule.suppress_notices").enabled, false);
    await until("the changed rules through sync", alice, ANY_ROOM_EVENT,
      () => alice.pushRules?.global.content.some((r) => r.rule_id === "cake"));
  });

  test("account data", async () => {
    await alice.setAccountData("org.example.settings", { theme: "dark", zoom: 1.5 });
    await until("the account data through sync", alice, ANY_ROOM_EVENT,
      () => alice.getAccountData("org.example.settings")?.getContent().theme === "dark");
    assert.equal(alice.getAccountData("org.example.settings").getContent().zoom, 1.5);
    await alice.setAccountData("m.direct", { [bob.getUserId()]: [roomId] });
    await until("m.direct through sync", alice, ANY_ROOM_EVENT,
      () => alice.getAccountData("m.direct")?.getContent()[bob.getUserId()]?.[0] === roomId);
  });

  test("tags", async () => {
    await alice.setRoomTag(roomId, "m.favourite", { order: 0.5 });
    await until("the tag through sync", alice, ANY_ROOM_EVENT, () => alice.getRoom(roomId)?.tags["m.favourite"]?.order === 0.5);
    await alice.deleteRoomTag(roomId, "m.favourite");
    await until("the tag gone", alice, ANY_ROOM_EVENT, () => !alice.getRoom(roomId)?.tags["m.favourite"]);
  });

  test("public rooms", async () => {
    const { room_id: lobby } = await alice.createRoom({ name: `Lobby ${suffix}`, visibility: "public", preset: "public_chat" });
    const listed = await bob.publicRooms({ limit: 50, filter: { generic_search_term: `Lobby ${suffix}` } });
    assert.ok(listed.chunk.some((r) => r.room_id === lobby), `the public room is listed: ${JSON.stringify(listed)}`);
  });

  test("presence", async () => {
    await alice.setPresence({ presence: "online", status_msg: "testing Vestibule" });
    await until("alice's presence on bob's side", bob, ANY_ROOM_EVENT,
      () => bob.getUser(alice.getUserId())?.presenceStatusMsg === "testing Vestibule");
    assert.equal(bob.getUser(alice.getUserId()).presence, "online");
  });

  test("devices", async () => {
    const { devices } = await alice.getDevices();
    assert.ok(devices.some((d) => d.device_id === alice.getDeviceId()));
    await alice.setDeviceDetails(alice.getDeviceId(), { display_name: "the test runner" });
    const mine = await alice.getDevice(alice.getDeviceId());
    assert.equal(mine.display_name, "the test runner");
  });

  test("user directory", async () => {
    const found = await bob.searchUserDirectory({ term: `alice${suffix}` });
    assert.ok(found.results.some((u) => u.user_id === alice.getUserId()), JSON.stringify(found));
  });

  test("media upload and download", async () => {
    const config = await alice.getMediaConfig(true);
    assert.equal(config["m.upload.size"], 52428800);
    const bytes = new TextEncoder().encode("hello from matrix-js-sdk " + suffix);
    const { content_uri: mxc } = await alice.uploadContent(new Blob([bytes], { type: "text/plain" }),
      { name: "hello file.txt", type: "text/plain" });
    assert.match(mxc, /^mxc:\/\/[^/]+\/[A-Za-z0-9]{24}$/);
    // Bob fetches it as a client would, by the authenticated URL the SDK makes (spec v1.11).
    const url = bob.mxcUrlToHttp(mxc, undefined, undefined, undefined, false, true, true);
    assert.ok(url.includes("/_matrix/client/v1/media/download/"), url);
    const response = await fetch(url, { headers: { Authorization: `Bearer ${bob.getAccessToken()}` } });
    assert.equal(response.status, 200);
    assert.equal(response.headers.get("content-type").split(";")[0], "text/plain");
    assert.match(response.headers.get("content-disposition"), /filename\*?=.*hello/);
    assert.deepEqual(new Uint8Array(await response.arrayBuffer()), bytes);
  });

  test("leave", async () => {
    await bob.leave(roomId);
    await until("bob's leave, on alice's side", alice, ANY_ROOM_EVENT,
      () => alice.getRoom(roomId)?.getMember(bob.getUserId())?.membership === "leave");
    await until("the room left, on bob's side", bob, ANY_ROOM_EVENT, () => bob.getRoom(roomId)?.getMyMembership() === "leave");
  });
});
