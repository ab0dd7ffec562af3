// GraphQL subscriptions over graphql-transport-ws on /graphql, with the signed-in user's token
// in connection_init. One socket per subscription: the designer follows one simulation at a time.

// Subscribe and call onNext(data) for each result; resolves when the server completes the
// stream. Rejects with `error.live = false` when there is no stream to follow (no WebSocket,
// the socket refused or closed before the end): the caller may poll instead; with
// `error.live = true` when the server said why it refused or failed.
export function subscribe(query, variables, onNext, { token } = {}) {
  return new Promise((resolve, reject) => {
    let socket;
    let ended = false;
    const fail = (message, live) => {
      if (ended) return;
      ended = true;
      const error = new Error(message);
      error.live = live;
      reject(error);
      if (socket.readyState <= 1) socket.close();
    };
    try {
      const url = `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/graphql`;
      socket = new WebSocket(url, 'graphql-transport-ws');
      socket.binaryType = 'arraybuffer'; // the server sends its JSON as binary frames
    } catch (err) {
      const error = new Error(`no live updates: ${err.message}`);
      error.live = false;
      reject(error);
      return;
    }
    socket.addEventListener('open', () => {
      const payload = token ? { Authorization: `Bearer ${token}` } : {};
      socket.send(JSON.stringify({ type: 'connection_init', payload }));
    });
    socket.addEventListener('message', async (event) => {
      const text = typeof event.data === 'string' ? event.data : new TextDecoder().decode(event.data);
      const message = JSON.parse(text);
      if (message.type === 'connection_ack') {
        socket.send(JSON.stringify({ id: '1', type: 'subscribe', payload: { query, variables } }));
      } else if (message.type === 'ping') {
        socket.send(JSON.stringify({ type: 'pong' }));
      } else if (message.type === 'next') {
        const { data, errors } = message.payload;
        if (errors && errors.length) { fail(errors.map((e) => e.message).join('; '), true); return; }
        try { await onNext(data); } catch (err) { fail(err.message, true); }
      } else if (message.type === 'error') {
        fail(message.payload.map((e) => e.message).join('; '), true);
      } else if (message.type === 'complete') {
        ended = true;
        resolve();
        socket.close();
      }
    });
    socket.addEventListener('close', (event) => {
      if (!ended) fail(`the live stream closed (${event.code})`, false);
    });
  });
}
