import { Bar, BarChart, CartesianGrid, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';
import { Empty, ErrorNote, firstLoad, Loading } from '../components/common';
import { unwrap, useSession } from '../session';
import { useLoad } from '../use-load';

export function StatsPage() {
  const { api } = useSession();
  const stats = useLoad(() => unwrap(api.GET('/api/v1/whatsapp/stats')), [api]);
  const data = stats.data;
  return (
    <section>
      <h1>Stats</h1>
      <ErrorNote error={stats.error} />
      {firstLoad(stats) && <Loading what="stats" />}
      {data && (
        <>
          <dl className="tiles">
            <div>
              <dt>Today</dt>
              <dd>{data.messages_today}</dd>
            </div>
            <div>
              <dt>Success rate</dt>
              <dd>{data.success_rate}</dd>
            </div>
            <div>
              <dt>Sent / attempts</dt>
              <dd>
                {data.total_sent} / {data.total_attempts}
              </dd>
            </div>
            <div>
              <dt>Rate limit</dt>
              <dd>{data.rate_limit}/min</dd>
            </div>
          </dl>
          <h2>By type</h2>
          {data.by_type.length === 0 ? (
            <Empty>No messages sent yet, so nothing to count by type.</Empty>
          ) : (
            <table aria-label="Messages by type">
              <tbody>
                {data.by_type.map((row) => (
                  <tr key={row.message_type}>
                    <th scope="row">{row.message_type}</th>
                    <td>{row.count}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
          <h2>Last 30 days</h2>
          {data.daily_last_30.every((day) => day.count === 0) ? (
            <Empty>No messages in the last 30 days.</Empty>
          ) : (
            <div className="chart" role="img" aria-label="Messages per day over the last 30 days">
              <ResponsiveContainer width="100%" height={260}>
                <BarChart data={data.daily_last_30}>
                  <CartesianGrid strokeDasharray="3 3" />
                  <XAxis dataKey="date" tickFormatter={(date: string) => date.slice(5)} />
                  <YAxis allowDecimals={false} />
                  <Tooltip />
                  <Bar dataKey="count" name="Messages" fill="#128c7e" isAnimationActive={false} />
                </BarChart>
              </ResponsiveContainer>
            </div>
          )}
        </>
      )}
    </section>
  );
}
