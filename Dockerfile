FROM node:20-slim AS assets
WORKDIR /src
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund

FROM python:3.11-slim
WORKDIR /app
RUN apt-get update && apt-get install -y --no-install-recommends libpango-1.0-0 libpangoft2-1.0-0 \
    && rm -rf /var/lib/apt/lists/*
COPY pyproject.toml ./
COPY web ./web
COPY worker ./worker
COPY migrations ./migrations
COPY translations ./translations
COPY babel.cfg ./
RUN pip install --no-cache-dir . && FLASK_APP=web flask translations compile
COPY --from=assets /src/node_modules/dkfds/dist /app/web/static/dkfds
ENV AKTOR_ENV=production FLASK_APP=web
USER nobody
EXPOSE 8000
CMD ["gunicorn", "-c", "web/gunicorn_conf.py", "web:create_app()"]
