FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 UV_PYTHON_DOWNLOADS=never UV_PROJECT_ENVIRONMENT=/venv
RUN pip install --no-cache-dir uv
WORKDIR /app
COPY pyproject.toml uv.lock ./
RUN uv sync --frozen --no-dev --python python3.11
COPY . .
ENV PATH="/venv/bin:$PATH" DJANGO_SETTINGS_MODULE=partnerhub.settings
RUN SECRET_KEY=collectstatic-only python manage.py collectstatic --noinput
EXPOSE 8000
CMD ["gunicorn", "partnerhub.wsgi:application", "--bind", "0.0.0.0:8000", "--workers", "3"]
